#!/usr/bin/env bash
# Step 1 of (f) at 250 Hz (issue 23): locate ecg-resnet's minimal depth on ecg-ectopy at
# 250 Hz at quick grade (3 seeds, majority rule, 600 steps, width 16: the study's quick
# profile budget), adaptive search from depth 9 (the first depth whose receptive field,
# 241, passes the blind window of 238 samples; shallower depths are at chance by
# construction) to 20 (first run to 16: 9, 10, 12 at 0/2, 16 at 1/3, so extended to 20; the
# folder resumes). Step 2 trains the two bracketing depths with 10 seeds at paper grade
# through the study's (f) section (experiments/ecg-question.toml, rates).
set -euo pipefail
OUT=${OUT:-stores/ecg-review/ectopy-250hz-locate}
T=".venv/bin/toytasks"; [ -x "$T" ] || T=toytasks
start=$SECONDS
$T run --task ecg-ectopy --set sampling_hz=250 --arch ecg-resnet --min-depth 9 --max-depth 20 \
  --seeds 3 --rule majority --steps 600 --width 16 --workers "${WORKERS:-1}" -q \
  --format github --out "$OUT" > "$OUT.md"
echo "ecg-resnet at 250 Hz, quick grade, depths 9-20: $((SECONDS - start)) s wall, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT.runtime.txt"
