#!/usr/bin/env bash
# Long grids in the background, from a checkout of one commit, each cell's record committed as it
# lands: the maintainers' way to run the claims grids over several sessions (docs/reliability.md).
#
#   scripts/grid_runner.sh run CORE CONFIG:PROFILE[:teacher] ...  # grids in turn on one core
#   scripts/grid_runner.sh commit-loop [SECONDS]                    # commit new records (default 180 s)
#   scripts/grid_runner.sh stop                                     # every grid stops after its cell
#
# `run` makes (or reuses) a worktree of HEAD at ../wt-<commit> beside this checkout, links its
# cache/ to this checkout's, and runs each grid there pinned to CORE (taskset, nice 5, one torch
# thread), writing records into this checkout's results/ (DISTILL_RESULTS_ROOT) and cells under
# RUN_ROOT (default ../grid-runs). `:teacher` runs the config's teacher stage first. A finished cell
# is never run twice, even on a fresh machine (its record is read back), so `run` again resumes.
# `stop` touches every grid's STOP file; the next `run` removes the STOP files of its grids.
# Deliberately left out: choosing cores or grids (the caller does) and pushing commits.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
RUN_ROOT=${RUN_ROOT:-$(dirname "$here")/grid-runs}
PY=${PY:-$here/.venv/bin/python}
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
export DISTILL_RUN_ROOT=$RUN_ROOT DISTILL_RESULTS_ROOT=$here/results

worktree() {
  local tree
  tree="$(dirname "$here")/wt-$(git -C "$here" rev-parse --short HEAD)"
  [ -d "$tree" ] || git -C "$here" worktree add --detach "$tree" HEAD >&2
  mkdir -p "$here/cache" && ln -sfn "$here/cache" "$tree/cache"
  echo "$tree"
}

run() {
  local core=$1 tree spec config profile stage
  shift
  tree=$(worktree)
  cd "$tree"
  for spec in "$@"; do
    IFS=: read -r config profile stage <<<"$spec"
    local name
    name=$(basename "$config" .yaml)
    rm -f "$RUN_ROOT/$name/$profile/STOP"
    if [ "$stage" = teacher ]; then
      nice -n 5 taskset -c "$core" "$PY" -m distill_lib.cli teacher --config "$config" --profile "$profile"
    fi
    nice -n 5 taskset -c "$core" "$PY" -m distill_lib.cli run --config "$config" --profile "$profile"
    [ -e "$RUN_ROOT/$name/$profile/STOP" ] && { echo "stopped at $spec"; return 0; }
  done
}

commit_loop() {
  cd "$here"
  while true; do
    if [ -n "$(git status --porcelain -- results)" ]; then
      nice -n 10 "$PY" -m distill_lib.render >/dev/null
      git add -- results figures README.md docs/grids
      git commit -q -m "results: $(git diff --cached --name-only -- results | grep -vc claims) new or changed record(s), pages regenerated" \
        -- results figures README.md docs/grids || true
    fi
    sleep "${1:-180}"
  done
}

case ${1:-} in
  run) shift; run "$@" ;;
  commit-loop) shift; commit_loop "$@" ;;
  stop) for d in "$RUN_ROOT"/*/*/; do touch "$d/STOP"; echo "STOP: $d"; done ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
