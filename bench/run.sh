#!/usr/bin/env bash
# `make bench`: in-process benchmarks (dlt-bench), the end-to-end command, and — when the
# neural-tangents venv exists (bench/nt/setup_venv.sh) — neural-tangents on the same problem, all
# measured in this run on this machine.
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
"$bin/dlt-bench"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "End to end: dlt kernel --activation relu --depth 10 --cw 2 --cb 0 --inputs X.npy --output k.npz"
for n in 1024 4096; do
  "$bin/dlt-bench" --write-inputs "$n" "$tmp/X$n.npy"
  best=""
  for rep in 1 2 3; do
    t0=$(date +%s.%N)
    "$bin/dlt" kernel --activation relu --depth 10 --cw 2 --cb 0 --inputs "$tmp/X$n.npy" --output "$tmp/k.npz"
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  rate=$(echo "$n * $n * 10 / $best" | bc -l)
  printf "  N = %5d  end to end %.3f s  %.3g entries·layers/s  (k.npz: %s bytes)\n" "$n" "$best" "$rate" "$(stat -c %s "$tmp/k.npz")"
  echo "$n $best" >> "$tmp/ours.txt"
done
if [ -x "$here/.venv/bin/python" ]; then
  echo "neural-tangents 0.6.5 (JAX CPU, float64) on the same net, same machine, this run:"
  "$here/.venv/bin/python" "$here/nt/time_kernels.py" > "$tmp/nt.txt"
  while read -r line; do
    n=$(echo "$line" | sed -E 's/.*"N": *([0-9]+).*/\1/'); s=$(echo "$line" | sed -E 's/.*"seconds": *([0-9.e-]+).*/\1/')
    ours=$(awk -v n="$n" '$1 == n {print $2}' "$tmp/ours.txt")
    printf "  N = %5d  neural-tangents %.3f s   dlt end to end %.3f s   speed-up %.1f×\n" "$n" "$s" "$ours" "$(echo "$s / $ours" | bc -l)"
  done < "$tmp/nt.txt"
else
  echo "(no neural-tangents venv: run bench/nt/setup_venv.sh for the side-by-side figure)"
fi
if [ -x "$here/.venv/bin/python" ]; then
  echo "Empirical NTK, width 512, L = 4, N = 256 — neural-tangents empirical_ntk_fn (jit, float64, best of its implementations):"
  "$here/.venv/bin/python" "$here/nt/time_empirical_ntk.py" 2>/dev/null
fi

echo "dlt predict, ReLU L = 3, 2000 training × 1000 test inputs (64 features, 3 target columns), NTK mean + covariance:"
"$bin/dlt-bench" --write-inputs 2000 "$tmp/Xtr.npy"
"$bin/dlt-bench" --write-inputs 1000 "$tmp/Xte.npy"
"$bin/dlt-bench" --write-targets 2000 "$tmp/Ytr.npy"
for time in inf 30; do
  best=""
  for rep in 1 2 3; do
    t0=$(date +%s.%N)
    "$bin/dlt" predict --activation relu --depth 3 --cw 2 --cb 0.1 --train "$tmp/Xtr.npy" --targets "$tmp/Ytr.npy" \
      --test "$tmp/Xte.npy" --time "$time" --output "$tmp/p.npz"
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf "  --time %-4s end to end %.3f s\n" "$time" "$best"
done
if [ -x "$here/.venv/bin/python" ]; then
  echo "  neural-tangents gradient_descent_mse_ensemble on the same data (kernels included, jit warm, best of 3):"
  "$here/.venv/bin/python" "$here/nt/time_predict.py" "$tmp/Xtr.npy" "$tmp/Ytr.npy" "$tmp/Xte.npy" 2>/dev/null | sed 's/^/  /'
fi
echo "Out of core: dlt kernel … --output k.npz --memory M (tiles within the budget, streamed into the file)"
"$bin/dlt-bench" --write-inputs 4096 "$tmp/X4096.npy"
for mem in 64M 16M; do
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss.txt" "$bin/dlt" kernel --activation relu --depth 10 --cw 2 --cb 0 --inputs "$tmp/X4096.npy" \
    --output "$tmp/tiled.npz" --memory "$mem" 2> "$tmp/tiled.log"
  t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc -l)
  ours=$(awk '$1 == 4096 {print $2}' "$tmp/ours.txt")
  printf "  N =  4096  --memory %s: %.3f s (%s), in-memory end to end %.3f s: ratio %.2f; max resident %s MiB\n" "$mem" "$t" \
    "$(tail -1 "$tmp/tiled.log" | sed -E 's/.*\((.*)\)/\1/')" "$ours" "$(echo "$t / $ours" | bc -l)" "$(( $(cat "$tmp/rss.txt") / 1024 ))"
done
mpi="$here/../.build-mpi/release/dlt"
if [ -x "$mpi" ] && command -v mpirun > /dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  for ranks in 1 2; do
    t0=$(date +%s.%N)
    mpirun -np $ranks --oversubscribe "$mpi" kernel --activation relu --depth 10 --cw 2 --cb 0 --inputs "$tmp/X4096.npy" \
      --output "$tmp/mpi$ranks.npz" --memory 16M 2> /dev/null
    t1=$(date +%s.%N)
    echo "$ranks $(echo "$t1 - $t0" | bc -l)" >> "$tmp/mpi.txt"
  done
  t1=$(awk '$1 == 1 {print $2}' "$tmp/mpi.txt"); t2=$(awk '$1 == 2 {print $2}' "$tmp/mpi.txt")
  printf "  N =  4096  --memory 16M under mpirun: 1 rank %.3f s, 2 ranks %.3f s (ratio %.2f on %s cores); same bytes: %s\n" "$t1" "$t2" \
    "$(echo "$t2 / $t1" | bc -l)" "$(nproc)" "$(cmp -s "$tmp/mpi1.npz" "$tmp/mpi2.npz" && echo yes || echo NO)"
fi
if [ "${DLT_BENCH_LARGE:-1}" = 1 ]; then
  n=20000
  "$bin/dlt-bench" --write-inputs $n "$tmp/X$n.npy"
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss.txt" "$bin/dlt" kernel --activation relu --depth 10 --cw 2 --cb 0 --inputs "$tmp/X$n.npy" \
    --output "$tmp/big.npz" --memory 1G 2> "$tmp/big.log"
  t1=$(date +%s.%N)
  printf "  N = 20000  --memory 1G: %.1f s (%s); max resident %s MiB (budget 1024 MiB); file %s bytes\n" "$(echo "$t1 - $t0" | bc -l)" \
    "$(tail -1 "$tmp/big.log" | sed -E 's/.*\((.*)\)/\1/')" "$(( $(cat "$tmp/rss.txt") / 1024 ))" "$(stat -c %s "$tmp/big.npz")"
  if [ -x "$here/.venv/bin/python" ]; then
    "$here/.venv/bin/python" - "$tmp/big.npz" <<'PY'
import sys, numpy as np
z = np.load(sys.argv[1], mmap_mode=None)
k = z["nngp"]; t = z["ntk"]
print("  numpy.load: nngp %s, ntk %s, symmetric %s, finite %s" % (k.shape, t.shape, bool(np.array_equal(k[:500, -500:], k[-500:, :500].T)), bool(np.isfinite(k[::97]).all())))
PY
  fi
  rm -f "$tmp/big.npz"
fi
