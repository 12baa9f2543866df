#!/bin/bash
# The ECG study at a clinical sampling rate, quick profile (docs/performance.md, issue 18's
# "clinical rates, quick profile: <= 30 min"): experiments/ecg-question.toml with (f) at
# 250 Hz (T = 832; ecg-resnet 8, receptive field 181 <= the blind window 238, vs 16, RF 901),
# first its --dry-run estimate, then the timed study. Usage: bash benchmarks/clinical_study.sh [OUT]
set -euo pipefail
out=${1:-results/ecg-clinical-quick}
spec=$(mktemp --suffix=.toml)
sed -e 's/set = { sampling_hz = { quick = 50.0, paper = 100.0 } }/set = { sampling_hz = { quick = 250.0, paper = 250.0 } }/' \
    -e 's/^shallow = { quick = 3, paper = 8 }.*/shallow = { quick = 8, paper = 8 }/' \
    -e 's/^deep = { quick = 12, paper = 13 }.*/deep = { quick = 16, paper = 16 }/' \
    experiments/ecg-question.toml > "$spec"
grep -q "quick = 250.0" "$spec" && grep -q "^deep = { quick = 16" "$spec" || { echo "clinical_study: the spec's (f) lines changed; update this script" >&2; exit 2; }
toytasks=${TOYTASKS:-.venv/bin/toytasks}
$toytasks study "$spec" --profile quick --workers 2 --out "$out" --dry-run
start=$(date +%s)
$toytasks study "$spec" --profile quick --workers 2 --out "$out" -q
echo "clinical-rate quick study: $(( $(date +%s) - start )) s wall"
