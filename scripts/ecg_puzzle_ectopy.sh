#!/usr/bin/env bash
# The ecg-ectopy half of the rhythm puzzle (docs/ecg.md): lstm/gru depth 1, width 32, by
# sampling rate and gate initialisation, 3,000 steps. One JSON line per run. Seeds: 0-1 at
# 20 Hz (all inits), 0-1 at 50 and 100 Hz (the inits that tell the causes apart). Run on the
# shared machine: 20 Hz seeds 0-1 (gru bias:3 seed 0 only) and 100 Hz seeds 0-1 (gru seed 0
# only) are in ectopy.jsonl; 50 Hz seed 0 for bias:3, bias:5 and chrono:200 (T = 200) is in
# ectopy-explore.jsonl; the rest of this grid was not run (CPU ran out).
# Run from the repository root:  nice -n 10 bash scripts/ecg_puzzle_ectopy.sh
set -euo pipefail
OUT=${OUT:-stores/rhythm-puzzle/ectopy.jsonl}
P="python scripts/ecg_probe.py --task ecg-ectopy --steps 3000"
[ -x .venv/bin/python ] && P=".venv/bin/$P"
for seed in 0 1; do
  for init in bias:3 default bias:3,input:-3 bias:5 chrono:70; do
    $P --set sampling_hz=20 --arch lstm --init $init --seed $seed >> "$OUT"
  done
  for init in bias:3 chrono:70; do
    $P --set sampling_hz=20 --arch gru --init $init --seed $seed >> "$OUT"
  done
done
for hz in 100 50; do
  seq=$(python3 -c "print({50: 169, 100: 334}[$hz])")  # seq_len at this rate
  for seed in 0 1; do
    for init in bias:3 bias:3,input:-3 chrono:$seq; do
      $P --set sampling_hz=$hz --arch lstm --init $init --seed $seed >> "$OUT"
    done
    for init in bias:3 chrono:$seq; do
      $P --set sampling_hz=$hz --arch gru --init $init --seed $seed >> "$OUT"
    done
  done
done
