#!/usr/bin/env bash
# Minimal depth of ecg-resnet against the step budget at 100 Hz (docs/ecg.md, issue 23):
# one run per depth and seed at the largest budget (8,000 steps = 4x the study's (f)), early
# stopping off (scripts/specs/ecg-ectopy-100hz-budget-curve.toml), each trial stopping when
# solved; a seed solves within a budget B exactly when its steps-to-solve <= B, so the one
# store gives the curve at 1x, 2x and 4x. Depths: 10 (RF 301) and 13 (RF 541, the study's
# deep cell) at 6 seeds, 8 (RF 181, the study's shallow cell, just past the span of 165
# samples) at 3 seeds. Depths 9, 11 and 12 are left out (compute: a trial that never solves
# costs 8,000 steps).
set -euo pipefail
OUT=${OUT:-stores/budget-curve/ecg-resnet-100hz}
WORKERS=${WORKERS:-2}
T=".venv/bin/toytasks"; [ -x "$T" ] || T=toytasks
SPEC=scripts/specs/ecg-ectopy-100hz-budget-curve.toml
run() {  # depth seeds
  local start=$SECONDS
  $T run --task $SPEC --arch ecg-resnet --min-depth "$1" --max-depth "$1" --exhaustive \
    --seeds "$2" --width 32 --workers "$WORKERS" -q --out "$OUT" > /dev/null
  echo "ecg-resnet depth $1, $2 seeds: $((SECONDS - start)) s wall, workers $WORKERS, load $(cut -d' ' -f1-3 /proc/loadavg)" \
    | tee -a "$OUT.runtimes.txt"
}
mkdir -p "$(dirname "$OUT")"
run 13 6
run 8 3
run 10 6
