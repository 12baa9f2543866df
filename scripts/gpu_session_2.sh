#!/usr/bin/env bash
# The second GPU session (issues 23 and 25), after scripts/gpu_session.sh: about 5 minutes.
#   - scripts/cuda_check.py, fixed (its trials now carry each architecture's version);
#   - (f) at 250 Hz as a study (experiments/ecg-question-250hz.toml, paper profile, cuda),
#     its folder seeded with the locate's trials (same keys): only depth 12's missing seeds,
#     the budget reruns and any fragile-seed extension train;
#   - the n_normal table resumed on cuda (stores/ecg-nnormal/k2), then n_normal = 3;
#   - the Mamba-block reruns at 6 seeds on that machine's CPU cores (9 workers).
# Each part packs its own store into $OUT/NAME.tar.gz as soon as its command ends (the
# first run of this script packed everything at the end, hit the call's time limit while
# packing, and lost every store: only the printed tables and logs came back).
# Usage: OUT=/some/folder PYTHONPATH=src bash scripts/gpu_session_2.sh
set -u
OUT=${OUT:-/tmp/gpu-session-2}
PY=${PY:-python3}
PART=${PART:-270}
S="$OUT/stores"
mkdir -p "$S/f250-study/f"
export PYTHONUNBUFFERED=1
T=("$PY" -m toytasks)
begin=$SECONDS
stamp() { echo "[$((SECONDS - begin)) s] $*"; }
pack() { tar czf "$OUT/$1.tar.gz" -C "$S" "$1" "$1.md" "$1.log" 2>/dev/null; }  # one store
cat stores/ecg-rate-250/locate/trials.jsonl stores/ecg-rate-250/recurrent/trials.jsonl \
    > "$S/f250-study/f/trials.jsonl"
cp -r stores/ecg-nnormal/k2 "$S/nnormal-k2"

timeout 200 "$PY" scripts/cuda_check.py > "$OUT/cuda_check.txt" 2>&1 &
( timeout "$PART" "${T[@]}" study experiments/ecg-question-250hz.toml --profile paper \
      --device cuda --workers-per-device 4 --out "$S/f250-study" > "$S/f250-study.log" 2>&1
  stamp "f250 study exit $?"; pack f250-study ) &
( for k in 2 3; do
      timeout $((PART - (SECONDS - begin))) "${T[@]}" run --task ecg-ectopy --set "n_normal=$k" \
          --arch cnn,tcn,lstm,gru --seeds 3 --max-depth 32 -q --format github \
          --device cuda --workers-per-device 2 --out "$S/nnormal-k$k" > "$S/nnormal-k$k.md" 2>&1
      pack "nnormal-k$k"
  done; stamp "n_normal ended" ) &
( for task in "selective-copy s4d,s6,mamba" "associative-recall transformer,linear-attention,s4d,s6,mamba" \
              "copy-memory s4d,s6,mamba"; do
      set -- $task
      timeout $((PART - (SECONDS - begin))) "${T[@]}" run --task "$1" --arch "$2" --seeds 6 \
          --max-depth 4 -q --format github --workers 9 --out "$S/$1" > "$S/$1.md" 2>&1
      pack "$1"
  done; stamp "mamba reruns ended" ) &
wait
pkill -INT -f "m toytasks" 2>/dev/null; sleep 4; pkill -KILL -f "m toytasks" 2>/dev/null
for part in f250-study nnormal-k2 nnormal-k3 selective-copy associative-recall copy-memory; do
    [ -d "$S/$part" ] && pack "$part"  # a part its cap cut short: what it stored
done
rm -rf "$S"
stamp "done"
