#!/usr/bin/env bash
# The GPU variants of the benchmarks (bf16, full model shapes), in one command:
#   bash benchmarks/gpu.sh [train|compile|eval|all]   # records go to $OUT when set, else runs/bench/
#
# Through the device tool (nothing outside the repo travels; the GPU image has torch and transformers, no hub):
#   1. here, once:  bash scripts/gpu/stage.sh
#      copies the shared data to .gpu/data/ and the SmolLM2 tokenizer files to .gpu/tokenizer/ (git-ignored)
#   2. run(command="bash benchmarks/gpu.sh train", carry=[".gpu/data/dss/cqa", ".gpu/tokenizer"], timeout_s=600)
#      then the same with `eval`, and with `compile` (the project's path under torch.compile vs the reference)
#      (`all` does the three in one call; it can come close to the 10-minute limit on a cold machine.)
# Models are built from the inline configs in benchmarks/common.py (T5-v1.1-base, SmolLM2-135M): no weights.
# The benchmarks read CQA as plain JSON (no `datasets`, which the image lacks; tests/test_benchmarks.py checks).
# Records come back as $OUT/train.json, train_compile.json, eval_t5.json, eval_causal.json, plus the logs and
# nvidia-smi's line (at most 8 files come back per call: `all` writes exactly 8).
set -uo pipefail
part=${1:-all}
case "$part" in train|compile|eval|all) ;; *) echo "usage: $0 [train|compile|eval|all]"; exit 2 ;; esac
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
PY=${PYTHON:-python3}
OUTDIR=${OUT:-runs/bench}
mkdir -p "$OUTDIR"
[ -d .gpu/tokenizer ] || [ -d cache/models/smollm2 ] \
    || { echo "gpu.sh: no tokenizer: run scripts/gpu/stage.sh here and carry .gpu/tokenizer"; exit 1; }
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv | tee "$OUTDIR/nvidia_smi.txt"
status=0
bench() {  # bench <module> <record name> <log> [args...]
    local module=$1 name=$2 log=$3
    shift 3
    "$PY" -m "benchmarks.$module" --device cuda --out "$OUTDIR/$name.json" "$@" 2>&1 | tee -a "$OUTDIR/$log.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}
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
