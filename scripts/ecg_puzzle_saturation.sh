#!/usr/bin/env bash
# Rhythm puzzle, part 1 mechanism: LSTM cell saturation (share of cells with |c| > 2 at the
# last step, held-out batch) at initialisation and after 300 training steps, forget bias 3
# with the input gate at PyTorch's init vs at -3, at 20 and 100 Hz (ecg-ectopy, seed 0).
set -euo pipefail
OUT=${OUT:-stores/rhythm-puzzle/saturation.jsonl}
P="python scripts/ecg_probe.py --task ecg-ectopy --arch lstm"
[ -x .venv/bin/python ] && P=".venv/bin/$P"
for hz in 100 20; do
  for init in bias:3 bias:3,input:-3; do
    $P --set sampling_hz=$hz --init $init --steps 300 >> "$OUT"
  done
done
