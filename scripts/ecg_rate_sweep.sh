#!/usr/bin/env bash
# Minimal depth vs sampling rate on ecg-ectopy (docs/ecg.md, "Minimal depth vs sampling rate").
# One `toytasks run` per rate and architecture group, 1 seed, default budget (2,000 steps,
# early stop after 5 flat evaluations), width 32. Conv nets start their search at the first
# depth whose receptive field exceeds the task's blind window (every shallower depth sees only
# the blind window and is at chance by construction: tests/test_ecg_honesty.py); plain cnn is
# trained only where that depth is within --max-depth 20. Recurrent nets and the transformer
# are searched over depths 1-2 (1 for the slow GRU variants).
# Usage (repository root):  RATES="20 50 100 250" nice -n 10 bash scripts/ecg_rate_sweep.sh
set -euo pipefail
RATES=${RATES:-"20 50 100 250"}
ROOT=${ROOT:-stores/ecg-rate}
T=".venv/bin/toytasks"; [ -x "$T" ] || T=toytasks
PY=.venv/bin/python; [ -x $PY ] || PY=python
first_depth() {  # first depth whose receptive field exceeds the blind window
  $PY - "$1" "$2" <<'PY'
import sys, warnings
warnings.simplefilter("ignore")
from toytasks.models import ARCHITECTURES
from toytasks.tasks import get_generator
arch, hz = sys.argv[1], float(sys.argv[2])
blind = get_generator("ecg-ectopy")(sampling_hz=hz).blind_samples
print(next(d for d in range(1, 1000) if ARCHITECTURES[arch].receptive_field(d) > blind))
PY
}
run() {  # rate, out-suffix, args...
  local hz=$1 name=$2; shift 2
  local start=$SECONDS
  $T run --task ecg-ectopy --set sampling_hz="$hz" --seeds 1 --workers 1 -q \
    --out "$ROOT/ectopy-${hz}hz-$name" --format github "$@" \
    > "$ROOT/ectopy-${hz}hz-$name.md"
  echo "sampling_hz=$hz $name: $((SECONDS - start)) s wall" | tee -a "$ROOT/runtimes.txt"
}
for hz in $RATES; do
  run "$hz" resnet --arch ecg-resnet --min-depth "$(first_depth ecg-resnet "$hz")" --max-depth 20
  run "$hz" tcn --arch tcn --min-depth "$(first_depth tcn "$hz")" --max-depth 20
  run "$hz" recurrent --arch lstm,chrono-lstm,transformer --max-depth 2
  run "$hz" gru --arch gru,chrono-gru --max-depth 1
  cnn_from=$(first_depth cnn "$hz")
  if [ "$cnn_from" -le 20 ]; then run "$hz" cnn --arch cnn --min-depth "$cnn_from" --max-depth 20; fi
done
