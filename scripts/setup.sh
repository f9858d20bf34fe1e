#!/usr/bin/env bash
# Installs what DeepTheory needs on a fresh Debian machine, once; does nothing when it is there.
set -euo pipefail
[ "$(uname)" = "Linux" ] || exit 0            # Apple: Accelerate ships with the system.
need=()
have_header() { [ -f "/usr/include/$1" ] || ls /usr/include/*/"$1" >/dev/null 2>&1; }
have_header cblas.h   || need+=(libopenblas-dev)
have_header lapacke.h || need+=(liblapacke-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
# Open MPI for the optional MPI build that `make test` checks with 2 and 3 ranks (the plain build does not need it).
command -v mpicc >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1 || need+=(libopenmpi-dev openmpi-bin)
[ ${#need[@]} -eq 0 ] && exit 0
echo "setup: installing ${need[*]}"
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
