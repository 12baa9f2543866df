#!/usr/bin/env bash
# Rhythm puzzle, part 2 mechanism: on the easiest ecg-rhythm variant (a clean pulse at each R
# peak, fixed rate, every irregular deciding interval a pause) an untrained LSTM's last state
# already tells the label (scripts/ecg_init_probe.py); does training keep it? End-to-end vs
# readout-only training, lstm depth 1 width 32, 1,500 steps, seed 0.
set -euo pipefail
OUT=${OUT:-stores/rhythm-puzzle/readout.jsonl}
P="python scripts/ecg_probe.py --task ecg-rhythm --arch lstm --steps 1500 --input rpeaks"
[ -x .venv/bin/python ] && P=".venv/bin/$P"
EASY="longer_share=1.0 hr_spread=0 hrv=0"
for seed in 0; do
  $P --set $EASY --seed $seed >> "$OUT"
  $P --set $EASY --seed $seed --readout-only >> "$OUT"
  $P --set $EASY --seed $seed --init bias:3,input:-3 >> "$OUT"
done
