#!/usr/bin/env bash
# Batching on against off, in one server and one JVM: the shipped model is served twice, under its own
# name with batching on (the default) and as "fashion-mnist-unbatched" with batching off (a per-model
# override), and the rounds alternate between the two so that each pair sees the same machine.
# Per round and variant: concurrency 1 (latency), concurrency 64 in full mode, and concurrency 64 of
# mixed traffic (a third each full, balanced, fast), all batch-1 JSON requests; the mean samples per
# run of each stage come from the server's own lctserve_batch_size metric.
# Needs: ./mvnw -B -DskipTests package, and wrk.
#   bash src/bench/batching-benchmarks.sh [rounds] [seconds-per-run]
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/bench/server.sh
ROUNDS="${1:-3}"
SECONDS_PER_RUN="${2:-10}"
PORT=18081
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

mkdir -p "$WORK/models/fashion-mnist" "$WORK/models/fashion-mnist-unbatched"
cp -r models/fashion-mnist/1 "$WORK/models/fashion-mnist/1"
cp -r models/fashion-mnist/1 "$WORK/models/fashion-mnist-unbatched/1"
sed -i 's/"name" : "fashion-mnist"/"name" : "fashion-mnist-unbatched"/' \
  "$WORK/models/fashion-mnist-unbatched/1/manifest.json"

start_server $PORT "$WORK/server.log" --lctserve.model-repository="$WORK/models" \
  '--lctserve.batching.models[fashion-mnist-unbatched].enabled=false' || exit 1

BENCH="java -jar src/bench/target/lctserve-bench.jar"
$BENCH wrk-bodies --out "$WORK/full.jsonl" --parameters '{"mode":"full"}'
$BENCH wrk-bodies --out "$WORK/balanced.jsonl" --parameters '{"preset":"balanced"}'
$BENCH wrk-bodies --out "$WORK/fast.jsonl" --parameters '{"preset":"fast"}'
paste -d'\n' "$WORK/full.jsonl" "$WORK/balanced.jsonl" "$WORK/fast.jsonl" > "$WORK/mixed.jsonl"

# mean samples per run of stage $2 for model $1 since the last call (reads the Prometheus counters)
declare -A LAST_SUM LAST_COUNT
batch_mean() {
  local metrics sum count key="$1/$2"
  metrics=$(curl -s localhost:$PORT/actuator/prometheus)
  sum=$(echo "$metrics" | awk -v m="model=\"$1\"" -v s="stage=\"$2\"" \
    '/^lctserve_batch_size_sum/ && index($0, m) && index($0, s) {print $2}')
  count=$(echo "$metrics" | awk -v m="model=\"$1\"" -v s="stage=\"$2\"" \
    '/^lctserve_batch_size_count/ && index($0, m) && index($0, s) {print $2}')
  awk -v s="$sum" -v c="$count" -v ls="${LAST_SUM[$key]:-0}" -v lc="${LAST_COUNT[$key]:-0}" \
    'BEGIN {if (c - lc > 0) printf "%.2f", (s - ls) / (c - lc); else printf "-"}'
  LAST_SUM[$key]=$sum
  LAST_COUNT[$key]=$count
}
reset_means() { for m in fashion-mnist fashion-mnist-unbatched; do for k in 0 1 2 3; do batch_mean $m $k > /dev/null; done; done; }

ms() { # wrk's 850.00us / 1.23ms / 1.02s in milliseconds
  awk -v t="$1" 'BEGIN {v = t + 0; if (t ~ /us$/) v /= 1000; else if (t ~ /[0-9]s$/ && t !~ /ms$/) v *= 1000; printf "%.3f", v}'
}

run() { # model connections threads bodies -> "req/s p50"
  MODEL="$1" BODIES="$WORK/$4.jsonl" wrk -t"$3" -c"$2" -d"${SECONDS_PER_RUN}s" --latency -s src/bench/wrk/cycle.lua \
    "http://localhost:$PORT" | awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} END {print rps, p50}'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
echo "server: defaults ($(grep -o 'batching on, [^,]*' "$WORK/server.log" | head -1)); client: wrk on loopback"
# JIT warm-up for both variants and every scenario
for model in fashion-mnist fashion-mnist-unbatched; do
  MODEL=$model BODIES="$WORK/mixed.jsonl" wrk -t2 -c64 -d20s -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > /dev/null
  MODEL=$model BODIES="$WORK/full.jsonl" wrk -t1 -c1 -d10s -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > /dev/null
done
for round in $(seq 1 "$ROUNDS"); do
  for scenario in "c1 full 1 1" "c64 full 64 2" "c64 mixed 64 2"; do
    set -- $scenario
    reset_means
    on=$(run fashion-mnist "$3" "$4" "$2")
    on_batches="$(batch_mean fashion-mnist 0)/$(batch_mean fashion-mnist 1)/$(batch_mean fashion-mnist 2)/$(batch_mean fashion-mnist 3)"
    off=$(run fashion-mnist-unbatched "$3" "$4" "$2")
    off_batches="$(batch_mean fashion-mnist-unbatched 0)/$(batch_mean fashion-mnist-unbatched 1)/$(batch_mean fashion-mnist-unbatched 2)/$(batch_mean fashion-mnist-unbatched 3)"
    read -r on_rps on_p50 <<< "$on"
    read -r off_rps off_p50 <<< "$off"
    echo "round $round $1 $2: batching on $on_rps req/s p50 $on_p50 (stage batch means $on_batches);" \
      "off $off_rps req/s p50 $off_p50 (stage batch means $off_batches);" \
      "throughput on/off $(awk -v a="$on_rps" -v b="$off_rps" 'BEGIN {printf "%.2f", a / b}')," \
      "p50 on/off $(awk -v a="$(ms "$on_p50")" -v b="$(ms "$off_p50")" 'BEGIN {printf "%.3f", a / b}')"
  done
done
