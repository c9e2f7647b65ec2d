#!/usr/bin/env bash
# Run ON THE GPU MACHINE after prepare.sh (carry .gpu/data): one slice of a grid in the offline profile, with
# the staged SmolLM2 student and data; results (metrics, configs, versions: no weights) go to $OUT as one tarball.
#   bash scripts/gpu/run_grid.sh configs/dss.yaml grid.datasets=[cqa] grid.methods=[standard_ft,dss] grid.seeds=[0]
# Each call must end inside the device tool's 10-minute limit: slice the grid by dataset / method / seed.
# Finished cells are read back, not rerun, while the machine stays warm (runs live in /tmp/runs).
# The same script runs on a CPU at the smallest size (proof that it works) with STUDENT=cache/models/smollm2.
set -euo pipefail
cd "$(dirname "$0")/../.."
config=$1; shift
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
STUDENT=${STUDENT:-/tmp/models/smollm2}
RUN_ROOT=${RUN_ROOT:-/tmp/runs}
OUT=$(realpath -m "${OUT:-runs/gpu-out}")
mkdir -p "$OUT"
PYTHON=${PYTHON:-python3}
start=$(date +%s)
"$PYTHON" -m distill_lib.cli run --config "$config" --profile offline \
  --set data.data_dir="$PWD/.gpu/data" student.name="$STUDENT" run_root="$RUN_ROOT" "$@"
echo "grid slice done in $(( $(date +%s) - start )) s on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null || echo cpu)"
(cd "$RUN_ROOT" && find . \( -name metrics.json -o -name skipped.json -o -name config.yaml -o -name versions.json \) \
  -print0 | tar --null -czf "$OUT/results-$(date +%s).tar.gz" -T -)
ls -la "$OUT"
