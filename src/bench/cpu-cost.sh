#!/usr/bin/env bash
# What a request costs the server itself: its process CPU time (utime + stime of every thread, from
# /proc/<pid>/stat) per answered request, for HTTP JSON FP32 bodies (as Triton's and KServe's
# clients send them), HTTP binary tensors and gRPC (raw FP32), each in full mode and with the
# balanced preset; against the CPU the in-process ONNX Runtime loop spends per image (the same
# graphs, batch 1, one thread, full mode: `lctserve-bench baseline --concurrency 1`). Rounds
# alternate: the loop, then every transport and knob for 10 s each (8 connections or calls in
# flight), so every round sees the same machine. On these 2 cores the load generator's CPU is not
# the server's: throughput is printed, but the ratios come from CPU time.
#
#   bash src/bench/cpu-cost.sh [rounds]
# Needs: ./mvnw -B -DskipTests package, and wrk.
#   efficiency = loop CPU per image / server CPU per full-mode request (1.0: the server adds nothing)
#   full/balanced = server CPU per full-mode request / per balanced request (the model's own: 1/0.164)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-3}"
WORK=$(mktemp -d)
source src/bench/server.sh
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
start_server 18085 "$WORK/server.log" --lctserve.grpc.port=18095
BENCH="java -jar src/bench/target/lctserve-bench.jar"
for knob in full balanced; do
  params=$([ "$knob" = full ] && echo '{"mode":"full"}' || echo '{"preset":"balanced"}')
  $BENCH wrk-bodies --fp32 --out "$WORK/json-$knob.jsonl" --parameters "$params" > /dev/null
  $BENCH wrk-bodies --fp32 --binary --out "$WORK/binary-$knob.bin" --parameters "$params" > /dev/null
done
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
# requests answered in a round of $2 seconds over transport $1 with knob $3
load() {
  case "$1" in
    json | binary)
      local file=$([ "$1" = json ] && echo "$WORK/json-$3.jsonl" || echo "$WORK/binary-$3.bin")
      BODIES="$file" wrk -t1 -c8 -d"$2s" -s src/bench/wrk/cycle.lua http://localhost:18085 \
        | awk '/requests in/ {print $1}' ;;
    grpc)
      local p=$([ "$3" = full ] && echo mode=full || echo preset=balanced)
      $BENCH grpc --target localhost:18095 --seconds "$2" --warmup-seconds 0 --streams 8 --parameter "$p" \
        | awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "req/s,") printf "%d\n", $i * '"$2"'}' ;;
  esac
}
# "requests/s cpu-ms-per-request" of one 10 s round
measure() {
  local t0 n t1
  t0=$(ticks); n=$(load "$1" 10 "$2"); t1=$(ticks)
  awk -v n="$n" -v d="$((t1 - t0))" -v hz="$HZ" 'BEGIN { printf "%.0f %.4f", n / 10, d * 1000 / hz / n }'
}
for transport in json binary grpc; do for knob in full balanced; do load "$transport" 5 "$knob" > /dev/null; done; done
echo "server CPU ms per answered request (req/s); loop: in-process ONNX Runtime, batch 1, one thread, full mode"
for round in $(seq 1 "$ROUNDS"); do
  loop=$($BENCH baseline --concurrency 1 | grep -o 'cpu [0-9.]*' | awk '{print $2}')
  line="round $round: loop $loop"
  for transport in json binary grpc; do
    read -r fr fc <<< "$(measure "$transport" full)"
    read -r br bc <<< "$(measure "$transport" balanced)"
    line+=$(awk -v t="$transport" -v fr="$fr" -v fc="$fc" -v br="$br" -v bc="$bc" -v loop="$loop" 'BEGIN {
      printf " | %s full %.3f (%d/s) balanced %.3f (%d/s): efficiency %.2f, full/balanced %.2f", t, fc, fr, bc, br, loop / fc, fc / bc }')
  done
  echo "$line"
done
