#!/usr/bin/env bash
# A Monte-Carlo ensemble as a Slurm job array: task k of K measures networks k, k+K, …; a dependent job merges.
#
#   sbatch --array=0-15 docs/examples/ensemble-array.sh            # 16 shards
#   sbatch --dependency=afterok:<jobid> --wrap 'dlt merge shards/*.json --output ensemble.json'
#
# Every shard file carries the run id (a hash of the spec, the seed and the inputs) and the full spec, so `dlt merge`
# refuses shards of different runs and the merged result equals one unsharded run (network k is the same bits on any
# shard: counter-based random numbers). Outside Slurm, set the two variables by hand to run one task:
#   SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=16 bash docs/examples/ensemble-array.sh
#SBATCH --job-name=dlt-ensemble
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
#SBATCH --output=shards/%A_%a.log
set -euo pipefail
k="${SLURM_ARRAY_TASK_ID:?set SLURM_ARRAY_TASK_ID (the index of this task, 0-based)}"
K="${SLURM_ARRAY_TASK_COUNT:?set SLURM_ARRAY_TASK_COUNT (the number of tasks)}"
DLT="${DLT:-dlt}"
INPUTS="${INPUTS:-inputs.csv}"
NETWORKS="${NETWORKS:-100000}"
OUT="${OUT:-shards}"
mkdir -p "$OUT"
"$DLT" ensemble --activation tanh --depth 4 --width 128 --cw 1 --cb 0 --inputs "$INPUTS" \
  --networks "$NETWORKS" --seed 7 --shard "$k/$K" --output "$OUT/shard-$k.json"
