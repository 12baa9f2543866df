#!/usr/bin/env bash
# Is ecg-resnet's failure at depth 8 on ecg-ectopy at 100 Hz (the study's (f) shallow cell:
# receptive field 181 >= span 166, yet 0/10, every seed at exactly the majority rate) a
# matter of the learning rate? The same cell at lr 1e-3 and 3e-4 (the study uses 3e-3),
# 2 seeds each (then lr 3e-4 alone at 6 seeds, after its first 2 seeds split 1/2), the study's paper budget (2,000 steps, early stopping after 5 flat
# evaluations), width 32. docs/ecg.md.
set -euo pipefail
OUT=${OUT:-stores/ecg-review/ectopy-100hz-resnet8-lr}
T=".venv/bin/toytasks"; [ -x "$T" ] || T=toytasks
start=$SECONDS
$T run --task ecg-ectopy --set sampling_hz=100 --arch ecg-resnet --min-depth 8 --max-depth 8 \
  --exhaustive --seeds 2 --lr 1e-3,3e-4 --steps 2000 --width 32 --workers "${WORKERS:-1}" -q \
  --format github --out "$OUT" > "$OUT.md"
echo "ecg-resnet depth 8 at 100 Hz, lr 1e-3 and 3e-4, 2 seeds: $((SECONDS - start)) s wall, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT.runtime.txt"
start=$SECONDS
$T run --task ecg-ectopy --set sampling_hz=100 --arch ecg-resnet --min-depth 8 --max-depth 8 \
  --exhaustive --seeds 6 --lr 3e-4 --steps 2000 --width 32 --workers "${WORKERS:-1}" -q \
  --format github --out "$OUT" > "$OUT-3e-4.md"   # same folder: seeds 0-1 reused
echo "ecg-resnet depth 8 at 100 Hz, lr 3e-4, 6 seeds: $((SECONDS - start)) s wall, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT.runtime.txt"
