#!/usr/bin/env bash
# The trainer's default against backprop on the same cores: full Fashion-MNIST epochs with --augment
# shift,flip (version 3's settings), one run per setting, the settings alternating round after round so
# a machine that speeds up or slows down favours none. Each run's epoch seconds come from its manifest
# (training.history[].seconds: the training steps only, not validation or export); epoch 1 of the default
# holds --pipeline auto's trial, so the ratios are given for epoch 1 and for the epochs after it.
# Needs the trainer jar and nothing else running.
# Usage: bash src/bench/train-speed.sh [ROUNDS] [EPOCHS] [THREADS]   (default: 2 2 2)
#   SETTINGS='lct:--pipeline auto|backprop:|lct:--pipeline off --threads 1' overrides the runs ('mode:extra
#   args'; THREADS unless the setting gives its own --threads). KEEP=DIR keeps each run's log and manifest
#   there (round-setting.log, round-setting.json).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-2}
epochs=${2:-2}
threads=${3:-2}
IFS='|' read -r -a settings <<<"${SETTINGS:-lct:--pipeline auto|backprop:}"
jar=src/trainer/target/lctserve-trainer.jar
[ -f "$jar" ] || ./mvnw -B -q -DskipTests package -pl src/trainer -am
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
summary="$out/summary.tsv"
for round in $(seq "$rounds"); do
  for i in "${!settings[@]}"; do
    mode=${settings[$i]%%:*}
    extra=${settings[$i]#*:}
    t=(--threads "$threads")
    [[ "$extra" == *--threads* ]] && t=()  # the setting names its own
    # shellcheck disable=SC2086  # extra is a list of options
    java -jar "$jar" train --mode "$mode" $extra "${t[@]}" --augment shift,flip --epochs "$epochs" \
      --test-limit 200 --output "$out/m/1" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
    if [ -n "${KEEP:-}" ]; then
      mkdir -p "$KEEP" && cp "$out/log" "$KEEP/$round-$i.log" && cp "$out/m/1/manifest.json" "$KEEP/$round-$i.json"
    fi
    python3 - "$out/m/1/manifest.json" "$round" "$i" "$mode $extra" >>"$summary" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["training"]
secs = [e["seconds"] for e in t["history"]]
later = sum(secs[1:]) / len(secs[1:]) if len(secs) > 1 else float("nan")
p = t.get("pipeline", {})
chose = f"{p['workers']} worker(s) x {p['threadsPerWorker']} thread(s), stages {p['stageGroups']}" if "trial" in p else ""
# Each epoch's seconds, and under a pipeline the stage groups its last segment ran.
each = " ".join(f"{e['seconds']:.0f}" + ("(" + "|".join(str(w["stages"]) for w in e["workers"]) + ")"
                if "workers" in e else "") for e in t["history"])
print(f"{sys.argv[2]}\t{sys.argv[3]}\t{sys.argv[4]}\t{secs[0]:.1f}\t{later:.1f}\t{chose}\t{each}")
EOF
    tail -1 "$summary" | awk -F'\t' '{printf "round %s  %-26s epoch 1 %6.1f s  later epochs %6.1f s  %s\n    epochs: %s\n", $1, $3, $4, $5, $6, $7}'
    rm -rf "$out/m"
  done
done
# Each setting against the backprop run of the same round.
python3 - "$summary" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
rounds = sorted({r[0] for r in rows}, key=int)
names = {r[1]: r[2] for r in rows}
ref = next((i for i, n in names.items() if n.strip().startswith("backprop")), None)
if ref is None:
    sys.exit(0)
for i, n in sorted(names.items()):
    if i == ref:
        continue
    for col, what in ((3, "epoch 1"), (4, "later epochs")):
        ratios = []
        for rd in rounds:
            a = [float(r[col]) for r in rows if r[0] == rd and r[1] == i]
            b = [float(r[col]) for r in rows if r[0] == rd and r[1] == ref]
            if a and b:
                ratios.append(a[0] / b[0])
        print(f"{n.strip():<26} / backprop, {what:<12}: " + "  ".join(f"{x:.3f}" for x in ratios) + "  (per round)")
EOF
