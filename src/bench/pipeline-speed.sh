#!/usr/bin/env bash
# Pipelined against sequential LCT on this machine: the same 2-epoch training on 12,800 images under each
# --pipeline/--threads setting, one after another; prints each setting's images/s in its second epoch (the
# first splits the stages by MACs, later ones by measured time). Needs the trainer jar and nothing else
# running. Usage: bash src/bench/pipeline-speed.sh [LOSS] [ROUNDS]   (default: cascade 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
loss=${1:-cascade}
rounds=${2:-1}
jar=src/trainer/target/lctserve-trainer.jar
[ -f "$jar" ] || ./mvnw -B -q -DskipTests package -pl src/trainer -am
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
settings=("off --threads 1" "off --threads 2" "2 --threads 2" "3 --threads 2")
for round in $(seq "$rounds"); do
  for s in "${settings[@]}"; do
    line=$(java -jar "$jar" train --critic-loss "$loss" --epochs 2 --limit 12800 --test-limit 200 --validation 500 \
        --batch-size 128 --pipeline $s --output "$out/m/1" 2>&1 | grep -E "^epoch 2/2 .* 100%" | tail -1)
    rate=$(sed -E 's/.* ([0-9]+) img\/s ETA.*/\1/' <<<"$line")
    printf 'round %d  --pipeline %-16s %5s img/s  %s\n' "$round" "$s" "$rate" "$(grep -o 'workers.*' <<<"$line" || true)"
    rm -rf "$out/m"
  done
done
