#!/usr/bin/env bash
# The ecg-rhythm half of the rhythm puzzle (docs/ecg.md): depth 1, width 32 unless stated,
# 20 Hz, 3,000 steps; each line changes one cause. One JSON line per run. Seed 0 was run
# (rhythm.jsonl; the irregularity=0.4 and longer_share=0.0 lines were not: CPU ran out);
# the GRU line with seed 0 is in rhythm-explore.jsonl.
# Run from the repository root:  nice -n 10 bash scripts/ecg_puzzle_rhythm.sh
set -euo pipefail
OUT=${OUT:-stores/rhythm-puzzle/rhythm.jsonl}
P="python scripts/ecg_probe.py --task ecg-rhythm --steps 3000"
[ -x .venv/bin/python ] && P=".venv/bin/$P"
for seed in 0 1 2; do
  $P --arch lstm --seed $seed                                  # as shipped
  $P --arch lstm --seed $seed --input standardise              # input scale
  $P --arch lstm --seed $seed --init chrono:91                 # time scales 1..90 steps
  $P --arch lstm --seed $seed --init bias:3,input:-3           # unsaturated cell
  $P --arch lstm --seed $seed --width 128                      # width
  $P --arch lstm --seed $seed --set sampling_hz=50             # sampling rate
  $P --arch lstm --seed $seed --set irregularity=0.4 hrv=0.0   # timing precision: widest gap
  $P --arch lstm --seed $seed --set longer_share=1.0           # label monotone: always a pause
  $P --arch lstm --seed $seed --set longer_share=0.0           # label monotone: always early
  $P --arch lstm --seed $seed --set longer_share=1.0 --init chrono:91
done >> "$OUT"
# Timing without a waveform (rhythm-timing.jsonl): a clean pulse at each R peak (--input rpeaks)
T=${T:-stores/rhythm-puzzle/rhythm-timing.jsonl}
$P --arch lstm --seed 0 --input rpeaks >> "$T"
$P --arch lstm --seed 0 --input rpeaks --set longer_share=1.0 >> "$T"
$P --arch lstm --seed 0 --set longer_share=1.0 hr_spread=0 hrv=0 noise_std=0 baseline_wander=0 >> "$T"
for seed in 0 1 2; do
  $P --arch gru --seed $seed
  $P --arch gru --seed $seed --set longer_share=1.0
done >> "$OUT"
