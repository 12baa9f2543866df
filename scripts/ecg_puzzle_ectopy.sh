#!/usr/bin/env bash
# The ecg-ectopy half of the rhythm puzzle (docs/ecg.md): lstm/gru depth 1, width 32, by
# sampling rate and gate initialisation, 3 seeds, 3,000 steps. One JSON line per run.
# Run from the repository root:  nice -n 10 bash scripts/ecg_puzzle_ectopy.sh
set -euo pipefail
OUT=${OUT:-experiments/results/rhythm-puzzle/ectopy.jsonl}
P="python scripts/ecg_probe.py --task ecg-ectopy --steps 3000"
[ -x .venv/bin/python ] && P=".venv/bin/$P"
for hz in 20 50 100; do
  seq=$(python3 -c "print({20: 70, 50: 169, 100: 334}[$hz])")  # seq_len at this rate
  for seed in 0 1 2; do
    for init in bias:3 default bias:3,input:-3 bias:5 chrono:$seq; do
      $P --set sampling_hz=$hz --arch lstm --init $init --seed $seed >> "$OUT"
    done
    for init in bias:3 chrono:$seq; do
      $P --set sampling_hz=$hz --arch gru --init $init --seed $seed >> "$OUT"
    done
  done
done
