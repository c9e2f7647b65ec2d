#!/usr/bin/env bash
# Run ON THE GPU MACHINE after prepare.sh (carry .gpu/data): one slice of a grid (default profile offline) with
# the staged SmolLM2 student and data. Each finished cell's result record (metrics, resolved config, versions,
# machine, commit: no weights) is written under $OUT/results/<experiment>/<profile>/, the layout of results/.
#   bash scripts/gpu/run_grid.sh configs/dss.yaml grid.datasets=[cqa] grid.methods=[standard_ft,dss] grid.seeds=[0]
# Each call must end inside the device tool's 10-minute limit: slice the grid by dataset / method / seed.
# Finished cells are read back, not rerun, while the machine stays warm (runs live in /tmp/runs).
# The student is `pip:smollm2` resolved from MODEL_CACHE (holds smollm2/, converted by prepare.sh), so the cells
# have the same identity as anywhere else. The same script runs on a CPU (PYTHON=.venv/bin/python
# MODEL_CACHE=cache/models PROFILE=cpu) as a check that it works.
set -euo pipefail
cd "$(dirname "$0")/../.."
config=$1; shift
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
MODEL_CACHE=$(realpath -m "${MODEL_CACHE:-/tmp/models}")
RUN_ROOT=${RUN_ROOT:-/tmp/runs}
PROFILE=${PROFILE:-offline}
OUT=$(realpath -m "${OUT:-runs/gpu-out}")
export DISTILL_RESULTS_ROOT="$OUT/results"
data_dir=$PWD/.gpu/data
[ -d "$data_dir" ] || data_dir=$(realpath -m ../shared/data)
PYTHON=${PYTHON:-python3}
start=$(date +%s)
"$PYTHON" -m distill_lib.cli run --config "$config" --profile "$PROFILE" \
  --set data.data_dir="$data_dir" student.cache_dir="$MODEL_CACHE" run_root="$RUN_ROOT" "$@"
echo "grid slice done in $(( $(date +%s) - start )) s on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null || echo cpu)"
find "$OUT/results" -name '*.json' | sort
