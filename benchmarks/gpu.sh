#!/usr/bin/env bash
# The GPU variants of the benchmarks (bf16, full model shapes), in one command:
#   bash benchmarks/gpu.sh [train|compile|eval|all]   # records go to $OUT when set, else runs/bench/
#
# Through the device tool (nothing outside the repo travels, and the GPU image has no `datasets` and no hub):
#   1. here, once:  bash scripts/gpu/stage.sh
#      copies the shared data to .gpu/data/, the SmolLM2 tokenizer files to .gpu/tokenizer/ and the wheels the
#      image lacks (`datasets`, `dill`, `multiprocess`, `gguf`) to .gpu/whl/ (.gpu/ is git-ignored)
#   2. run(command="bash benchmarks/gpu.sh train", carry=[".gpu/data", ".gpu/tokenizer", ".gpu/whl"], timeout_s=600)
#      then the same with `eval`, and with `compile` (the project's path under torch.compile vs the reference)
#      (`all` does the three in one call; it can come close to the 10-minute limit on a cold machine.)
# Models are built from the inline configs in benchmarks/common.py (T5-v1.1-base, SmolLM2-135M): no weights,
# no `gguf` needed. Records come back as $OUT/train.json, train_compile.json, eval_t5.json, eval_causal.json,
# plus the logs and nvidia-smi's line (at most 8 files come back per call: one part per call stays under it).
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
PY=${PYTHON:-python3}
OUTDIR=${OUT:-runs/bench}
mkdir -p "$OUTDIR"
if ! "$PY" -c "import datasets" 2>/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .gpu/whl/*.whl \
        || { echo "gpu.sh: installing .gpu/whl failed: run scripts/gpu/stage.sh and carry .gpu/whl"; exit 1; }
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv | tee "$OUTDIR/nvidia_smi.txt"
status=0
bench() {  # bench <module> <record name> <log> [args...]
    local module=$1 name=$2 log=$3
    shift 3
    "$PY" -m "benchmarks.$module" --device cuda --out "$OUTDIR/$name.json" "$@" 2>&1 | tee -a "$OUTDIR/$log.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}
part=${1:-all}
if [ "$part" = train ] || [ "$part" = all ]; then
    bench bench_train train train
fi
if [ "$part" = compile ] || [ "$part" = all ]; then
    bench bench_train train_compile train_compile --compile --reps 2 --baselines reference
fi
if [ "$part" = eval ] || [ "$part" = all ]; then
    bench bench_eval eval_t5 eval --model t5
    bench bench_eval eval_causal eval --model causal
fi
exit $status
