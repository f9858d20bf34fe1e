#!/usr/bin/env bash
# Creates the Python venv used to generate neural-tangents reference data.
# Idempotent: if the venv exists and the pinned packages import, does nothing.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$(cd "$HERE/.." && pwd)/.venv"
PY="${PYTHON:-python3}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<'PYEOF' 2>/dev/null
import importlib.metadata as m, sys
ok = m.version("neural-tangents") == "0.6.5"
import neural_tangents, jax  # noqa: F401
sys.exit(0 if ok else 1)
PYEOF
then
  echo "venv already set up at $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install \
  "neural-tangents==0.6.5" "jax[cpu]<0.4.24" "numpy<2" "scipy<1.12" "tensorflow-cpu==2.15.1"
"$VENV/bin/python" -c "import neural_tangents as nt, jax; print('neural-tangents', nt.__version__ if hasattr(nt,'__version__') else '?', 'jax', jax.__version__)"
