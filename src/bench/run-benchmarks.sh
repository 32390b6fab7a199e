#!/usr/bin/env bash
# Reproduces docs/BENCHMARKS.md on this machine: starts the server on the shipped model, warms it
# up, measures it with wrk (throughput, latency) and with lctserve-bench (the same plus accuracy and
# exit depth over all 10,000 test images), against the in-process ONNX Runtime loop, and its
# progressive answers over gRPC (lctserve-bench stream), then stops it;
# then transport-benchmarks.sh compares gRPC and HTTP JSON (FP32, UINT8) with the same loop.
# Needs: ./mvnw -B -DskipTests package, wrk and h2load (apt-get install -y wrk nghttp2-client).
#   bash src/bench/run-benchmarks.sh [seconds-per-wrk-run]
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/bench/server.sh
SECONDS_PER_RUN="${1:-20}"
PORT=18080
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

start_server $PORT "$WORK/server.log" || exit 1

BENCH="java -jar src/bench/target/lctserve-bench.jar"
NAMES=(full threshold-0.9 balanced)
declare -A PARAMETERS=(
  [full]='{"mode":"full"}'
  [threshold-0.9]='{"threshold":0.9}'
  [balanced]='{"preset":"balanced"}'
)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
echo "server: defaults ($(grep -o '[0-9]* requests may compute at once' "$WORK/server.log"), intra-op-threads=1); client: wrk -t1 on loopback"
for name in "${NAMES[@]}"; do
  $BENCH wrk-bodies --out "$WORK/$name.jsonl" --parameters "${PARAMETERS[$name]}"
done
# JIT warm-up: the server needs about a minute of traffic before its throughput settles.
for name in "${NAMES[@]}" "${NAMES[@]}"; do
  BODIES="$WORK/$name.jsonl" wrk -t1 -c4 -d15s -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > /dev/null
done
for connections in 2 4 8; do
  for name in "${NAMES[@]}"; do
    echo "== wrk -c$connections $name ${PARAMETERS[$name]}"
    BODIES="$WORK/$name.jsonl" wrk -t1 -c"$connections" -d"${SECONDS_PER_RUN}s" --latency -s src/bench/wrk/cycle.lua \
      "http://localhost:$PORT" | grep -E "Requests/sec|  50%|  99%|requests in|Non-2xx|errors"
  done
done
# The same full-mode requests in the binary tensor data extension (raw UINT8 after the JSON).
$BENCH wrk-bodies --binary --out "$WORK/full.bin" --parameters "${PARAMETERS[full]}"
BODIES="$WORK/full.bin" wrk -t1 -c4 -d15s -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > /dev/null
for connections in 4 8; do
  echo "== wrk -c$connections full, binary tensor data ${PARAMETERS[full]}"
  BODIES="$WORK/full.bin" wrk -t1 -c"$connections" -d"${SECONDS_PER_RUN}s" --latency -s src/bench/wrk/cycle.lua \
    "http://localhost:$PORT" | grep -E "Requests/sec|  50%|  99%|requests in|Non-2xx|errors"
done
# The server-overhead ratio: full mode through HTTP against the in-process loop, alternating in
# short rounds so that each pair sees the same machine (this VM's speed drifts by up to 2x within
# minutes); the median round is the result.
echo "== server full mode (wrk -c8, JSON, 10 s) vs in-process loop (10,000 images), alternating"
for round in 1 2 3 4 5 6 7; do
  server=$(BODIES="$WORK/full.jsonl" wrk -t1 -c8 -d10s -s src/bench/wrk/cycle.lua \
    "http://localhost:$PORT" | awk '/Requests\/sec/ {print $2}')
  loop=$($BENCH baseline | awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "images/s,") print $i}')
  echo "round $round: server $server req/s, in-process $loop images/s, ratio $(awk -v a="$server" -v b="$loop" 'BEGIN {printf "%.2f", a / b}')"
done
echo "== lctserve-bench (all 10,000 test images per scenario)"
$BENCH run --url "http://localhost:$PORT" --concurrency 8 --warmup 2000
# Progressive answers over gRPC (ModelStreamInfer), one call in flight: time to the first answer
# against unary full mode in alternating rounds, and the stage runs of streams cancelled after their
# first answer, without and with a pause after each answer (progressive_pause_ms).
echo "== progressive answers (lctserve-bench stream)"
$BENCH stream --target localhost:8081 --metrics "http://localhost:$PORT/actuator/prometheus" --calls 500 --rounds 5 --cancel 1000
$BENCH stream --target localhost:8081 --metrics "http://localhost:$PORT/actuator/prometheus" --calls 300 --rounds 3 \
  --cancel 1000 --pause-ms 1
# The request path by transport: gRPC (8 calls in flight, raw FP32 tensors), HTTP JSON with FP32
# and with UINT8 bodies, each against the in-process loop in alternating rounds (its own server).
kill $SERVER; wait $SERVER 2>/dev/null || true
bash src/bench/transport-benchmarks.sh 5 "$SECONDS_PER_RUN"
