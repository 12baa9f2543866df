#!/usr/bin/env bash
# The one prepared GPU session (issues 23 and 25): run it on a machine with a CUDA GPU,
# torch, numpy, scikit-learn, click and tabulate, from the repository root, with
# PYTHONPATH=src (no `make setup` there). About 9 minutes; every part has its own time cap,
# and the stores are crash-safe, so a part that hits its cap keeps what it finished.
#   1. scripts/gpu_throughput.py --quick (alone: it is the timing; 16 CPU workers against
#      1, 4 and 8 workers on the GPU);
#   2. in parallel, on the GPU:
#      - scripts/cuda_check.py;
#      - (f) at 250 Hz: ecg-resnet located at paper grade (10 seeds, cp95, 2,000 steps,
#        width 32) from depth 9 up, then both bracketing depths completed to 10 seeds;
#        the recurrent row (chrono-lstm, lstm, s4d, s6) at depth 1, every seed trained;
#      - the Mamba-block reruns at 6 seeds (selective-copy, associative-recall, copy-memory);
#      - the n_normal table of docs/ecg.md (3 seeds, as first run).
# Usage: OUT=/some/folder PYTHONPATH=src bash scripts/gpu_session.sh
# Try it without a GPU (tiny budgets, cpu): DEVICE=cpu TINY=1 OUT=/tmp/g bash scripts/gpu_session.sh
set -u
OUT=${OUT:-/tmp/gpu-session}
DEVICE=${DEVICE:-cuda}
PY=${PY:-python3}
S="$OUT/stores"
mkdir -p "$S"
export PYTHONUNBUFFERED=1
if [ -n "${TINY:-}" ]; then  # a smoke test of this script: every command, tiny budgets
    STEPS=20; STEPS_SHORT=20; SEEDS=2; RULE=majority; SEEDS6=2; CAP=60; MAXD=10; PART=60
else
    STEPS=2000; STEPS_SHORT=3000; SEEDS=10; RULE=cp95; SEEDS6=6; CAP=330; MAXD=24; PART=330
fi
# 16 cores: 5 + 4 workers for (f), 4 for the reruns, 2 for n_normal, 1 for cuda_check
if [ "$DEVICE" = cpu ]; then PLACE=(--workers 1); PLACE4=(--workers 1); PLACE2=(--workers 1)
else PLACE=(--device "$DEVICE" --workers-per-device 5)
     PLACE4=(--device "$DEVICE" --workers-per-device 4)
     PLACE2=(--device "$DEVICE" --workers-per-device 2); fi
T=("$PY" -m toytasks)
begin=$SECONDS
stamp() { echo "[$((SECONDS - begin)) s] $*"; }

{ nvidia-smi -L 2>/dev/null; lscpu | grep -m1 "Model name"; nproc; "$PY" -c "import torch; print('torch', torch.__version__)"; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

if [ "$DEVICE" != cpu ]; then
    stamp "throughput"
    timeout 150 "$PY" scripts/gpu_throughput.py --quick --per-device 1,4,8 --cpu-workers 16 \
        > "$OUT/gpu_throughput.txt" 2>&1
    stamp "throughput exit $?"
fi

f250() {  # (f) at 250 Hz: locate, then complete the bracket to every seed
    local common=(--task ecg-ectopy --set sampling_hz=250 --seeds "$SEEDS" --rule "$RULE"
                  --steps "$STEPS" --width 32 -q --format github)
    "${T[@]}" run "${common[@]}" --arch chrono-lstm,lstm,s4d,s6 --min-depth 1 --max-depth 1 \
        --exhaustive "${PLACE4[@]}" --out "$S/f250-recurrent" > "$S/f250-recurrent.md" 2>&1 &
    "${T[@]}" run "${common[@]}" --arch ecg-resnet --min-depth 9 --max-depth "$MAXD" \
        "${PLACE[@]}" --out "$S/f250-resnet" > "$S/f250-resnet-locate.md" 2>&1
    stamp "f250 locate exit $?"
    read -r lo hi < <("$PY" - "$S/f250-resnet" "$SEEDS" <<'EOF'
import sys
from collections import defaultdict
from toytasks.api import load
solved, trained = defaultdict(int), defaultdict(int)
for r in load(sys.argv[1]).records():
    trained[r["depth"]] += 1
    solved[r["depth"]] += r["result_status"] == "solved"
need = int(sys.argv[2]) - 1  # cp95 at 10 seeds: 9 of 10
ok = [d for d in sorted(trained) if solved[d] >= need]
hi = ok[0] if ok else max(trained)
lo = max([d for d in trained if d < hi], default=hi)
print(lo, hi)
EOF
)
    stamp "f250 bracket $lo $hi"
    for d in $hi $lo; do
        "${T[@]}" run "${common[@]}" --arch ecg-resnet --min-depth "$d" --max-depth "$d" \
            --exhaustive "${PLACE[@]}" --out "$S/f250-resnet" > "$S/f250-resnet-d$d.md" 2>&1
    done
    wait
    stamp "f250 done"
}

mamba_reruns() {  # the Mamba-block findings of docs/sequence-models.md at 6 seeds
    local common=(--seeds "$SEEDS6" --max-depth 4 --steps "$STEPS_SHORT" -q --format github
                  "${PLACE4[@]}")
    "${T[@]}" run --task selective-copy --arch s4d,s6,mamba "${common[@]}" \
        --out "$S/selective-copy" > "$S/selective-copy.md" 2>&1
    "${T[@]}" run --task associative-recall --arch transformer,linear-attention,s4d,s6,mamba \
        "${common[@]}" --out "$S/associative-recall" > "$S/associative-recall.md" 2>&1
    "${T[@]}" run --task copy-memory --arch s4d,s6,mamba "${common[@]}" \
        --out "$S/copy-memory" > "$S/copy-memory.md" 2>&1
    stamp "mamba reruns done"
}

n_normal() {  # docs/ecg.md's n_normal table, as first run (3 seeds, default budget)
    for k in 1 2 3; do
        "${T[@]}" run --task ecg-ectopy --set "n_normal=$k" --arch cnn,tcn,lstm,gru \
            --seeds 3 --max-depth 32 -q --format github "${PLACE2[@]}" \
            $([ -n "${TINY:-}" ] && echo --steps 20) \
            --out "$S/nnormal-k$k" > "$S/nnormal-k$k.md" 2>&1
    done
    stamp "n_normal done"
}

stamp "parallel part (cap $PART s each)"
if [ "$DEVICE" != cpu ]; then
    timeout 200 "$PY" scripts/cuda_check.py > "$OUT/cuda_check.txt" 2>&1 &
fi
export -f f250 mamba_reruns n_normal stamp
export S RULE SEEDS SEEDS6 STEPS STEPS_SHORT MAXD PY TINY begin
timeout "$PART" bash -c "$(declare -p T PLACE PLACE4 PLACE2); f250" &
timeout "$PART" bash -c "$(declare -p T PLACE PLACE4 PLACE2); mamba_reruns" &
timeout "$PART" bash -c "$(declare -p T PLACE PLACE4 PLACE2); n_normal" &
wait
pkill -INT -f "m toytasks run" 2>/dev/null  # a capped part's runs: stop as Ctrl-C does (results kept)
sleep 5; pkill -KILL -f "m toytasks" 2>/dev/null
stamp "all parts ended; packing"
tar czf "$OUT/stores.tar.gz" -C "$OUT" stores && rm -rf "$S"
stamp "done"
ls -la "$OUT"
