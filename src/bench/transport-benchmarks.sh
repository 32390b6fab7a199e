#!/usr/bin/env bash
# The request path's cost by transport (docs/BENCHMARKS.md, "gRPC and the lean HTTP path"): starts the
# server on the shipped model, warms it up, measures the gRPC service (lctserve-bench grpc: 8 calls in
# flight on one connection, distinct test images, raw FP32 tensors as Triton's client sends them) and
# then alternates, round by round, the in-process ONNX Runtime loop (batch 1, 2 threads, the same
# graphs) with gRPC full mode, HTTP JSON full mode (wrk, 8 connections) with FP32 and with UINT8
# bodies, and gRPC balanced; prints each round's ratios and their medians.
# gRPC full mode is measured twice: with lctserve-bench grpc (a Java client, a fresh JVM per
# measurement, distinct images, every answer checked) and with h2load (nghttp2's HTTP/2 load
# generator in C, the lean client as wrk is for HTTP: 8 streams on one connection, one image's
# request repeated, which costs what any image costs in full mode; its answers are checked by the
# server's own request counts: no outcome but success may grow while it runs).
# Needs: ./mvnw -B -DskipTests package, wrk and h2load (apt-get install -y wrk nghttp2-client).
#   bash src/bench/transport-benchmarks.sh [rounds] [seconds-per-measurement]
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/bench/server.sh
ROUNDS="${1:-5}"
SECS="${2:-10}"
PORT=18080
GRPC_PORT=18081
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

start_server $PORT "$WORK/server.log" --lctserve.grpc.port=$GRPC_PORT || exit 1
BENCH="java -jar src/bench/target/lctserve-bench.jar"
grpc() { $BENCH grpc --target localhost:$GRPC_PORT --seconds "$SECS" --warmup-seconds 2 "$@"; }
rate() { awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "images/s,") print $i}'; }
H2LOAD="h2load -c 1 -m 8 -H content-type:application/grpc -H te:trailers -d $WORK/full.grpc http://localhost:$GRPC_PORT/inference.GRPCInferenceService/ModelInfer"
not_success() { curl -s "localhost:$PORT/actuator/prometheus" | awk '/^lctserve_requests_seconds_count/ && !/outcome="success"/ {n += $2} END {print n + 0}'; }
h2_rate() {
  local before after out
  before=$(not_success)
  out=$($H2LOAD -D "$SECS" 2>&1)
  after=$(not_success)
  [ "$before" = "$after" ] || { echo "h2load: $((after - before)) requests did not succeed" >&2; exit 1; }
  awk '/^finished in/ {print $4}' <<< "$out"
}
wrk_rate() { BODIES="$1" wrk -t1 -c8 -d"${SECS}s" -s src/bench/wrk/cycle.lua "http://localhost:$PORT" | awk '/Requests\/sec/ {print $2}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
$BENCH wrk-bodies --fp32 --out "$WORK/full-fp32.jsonl" --parameters '{"mode":"full"}'
$BENCH wrk-bodies --out "$WORK/full-uint8.jsonl" --parameters '{"mode":"full"}'
$BENCH grpc --write-body "$WORK/full.grpc" --parameter mode=full
# JIT warm-up of both transports (the server needs about a minute of traffic before it settles)
for _ in 1 2; do
  BODIES="$WORK/full-fp32.jsonl" wrk -t1 -c8 -d15s -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > /dev/null
  BODIES="$WORK/full-uint8.jsonl" wrk -t1 -c8 -d10s -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > /dev/null
  $BENCH grpc --target localhost:$GRPC_PORT --seconds 15 --warmup-seconds 0 --parameter mode=full > /dev/null
  $H2LOAD -D 10 > /dev/null 2>&1
  $BENCH grpc --target localhost:$GRPC_PORT --seconds 10 --warmup-seconds 0 --parameter preset=balanced > /dev/null
done

echo "== gRPC scenarios (8 calls in flight, FP32 raw tensors)"
grpc --parameter mode=full --label full
grpc --parameter preset=balanced --label balanced
grpc --parameter mode=full --label full --batch 8
grpc --parameter preset=balanced --label balanced --batch 8
grpc --parameter mode=full --label full --streams 1

echo "== alternating rounds: in-process loop, gRPC full (h2load, Java client), HTTP JSON full (FP32, UINT8), gRPC balanced"
R_H2=(); R_GRPC=(); R_FP32=(); R_UINT8=(); R_BAL=()
for round in $(seq 1 "$ROUNDS"); do
  loop=$($BENCH baseline | rate)
  g_h2=$(h2_rate)
  g_full=$(grpc --parameter mode=full --label full | rate)
  h_fp32=$(wrk_rate "$WORK/full-fp32.jsonl")
  h_uint8=$(wrk_rate "$WORK/full-uint8.jsonl")
  g_bal=$(grpc --parameter preset=balanced --label balanced | rate)
  ratios=$(awk -v l="$loop" -v h="$g_h2" -v g="$g_full" -v f="$h_fp32" -v u="$h_uint8" -v b="$g_bal" \
    'BEGIN {printf "%.2f %.2f %.2f %.2f %.2f", h / l, g / l, f / l, u / l, b / g}')
  read -r a b c d e <<< "$ratios"
  R_H2+=("$a"); R_GRPC+=("$b"); R_FP32+=("$c"); R_UINT8+=("$d"); R_BAL+=("$e")
  echo "round $round: in-process $loop images/s; gRPC full h2load $g_h2 ($a), Java client $g_full ($b);" \
    "HTTP JSON FP32 full $h_fp32 ($c); HTTP JSON UINT8 full $h_uint8 ($d); gRPC balanced $g_bal ($e x gRPC full)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "medians: gRPC full / in-process: h2load $(median "${R_H2[@]}"), Java client $(median "${R_GRPC[@]}");" \
  "HTTP JSON FP32 full / in-process $(median "${R_FP32[@]}"), HTTP JSON UINT8 full / in-process $(median "${R_UINT8[@]}");" \
  "gRPC balanced / gRPC full (Java client) $(median "${R_BAL[@]}")"
