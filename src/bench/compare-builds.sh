#!/usr/bin/env bash
# Is a change slower? Serves the shipped model from an earlier commit's server and from this
# working tree's, side by side, and alternates wrk rounds between them (balanced preset and full
# mode, 8 connections, 10 s each after 15 s of warm-up per pair), so that every pair of numbers
# sees the same machine. Each build serves its own checkout's models/ folder. Beside requests/s,
# each server's own CPU time per answered request (utime + stime from /proc/<pid>/stat over the
# round): on these shared cores the load generator's CPU hides in throughput, not in this.
# Needs: ./mvnw -B -DskipTests package (for this tree's jars) and wrk.
#   bash src/bench/compare-builds.sh <earlier-commit> [rounds] [fp32|binary|grpc]
# (fp32: FP32 JSON bodies as Triton's and KServe's clients send them, instead of UINT8; binary:
#  FP32 in the binary tensor data extension;
#  grpc: the gRPC service instead, through lctserve-bench grpc with 8 calls in flight, or
#  STREAMS=N calls; wrk's connections stay 8)
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE="${1:?usage: compare-builds.sh <earlier-commit> [rounds]}"
ROUNDS="${2:-5}"
KIND=$(case "${3:-}" in fp32) echo --fp32 ;; binary) echo "--fp32 --binary" ;; esac)
TRANSPORT=$([ "${3:-}" = grpc ] && echo grpc || echo http)
STREAMS="${STREAMS:-8}"
WORK=$(mktemp -d)
OLD="$WORK/before"
cleanup() {
  kill "$OLD_PID" "$NEW_PID" 2>/dev/null || true
  git worktree remove --force "$OLD" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
source src/bench/server.sh
build_commit "$BEFORE" "$OLD"
(cd "$OLD" && exec java -jar src/server/target/lctserve-server.jar --server.port=18081 --lctserve.grpc.port=18091 > "$WORK/before.log" 2>&1) &
OLD_PID=$!
java -jar src/server/target/lctserve-server.jar --server.port=18082 --lctserve.grpc.port=18092 > "$WORK/now.log" 2>&1 &
NEW_PID=$!
for port in 18081 18082; do
  for _ in $(seq 1 120); do curl -sf "localhost:$port/v2/health/ready" > /dev/null && break; sleep 0.5; done
  curl -sf "localhost:$port/v2/health/ready" > /dev/null || { cat "$WORK"/*.log; exit 1; }
done
BENCH="java -jar src/bench/target/lctserve-bench.jar"
$BENCH wrk-bodies $KIND --out "$WORK/balanced.jsonl" --parameters '{"preset":"balanced"}' > /dev/null
$BENCH wrk-bodies $KIND --out "$WORK/full.jsonl" --parameters '{"mode":"full"}' > /dev/null
rps() {
  if [ "$TRANSPORT" = grpc ]; then
    local knob=$([ "$1" = full ] && echo mode=full || echo preset=balanced)
    $BENCH grpc --target "localhost:$(($2 + 10))" --seconds "${3%s}" --warmup-seconds 1 --streams "$STREAMS" --parameter "$knob" \
      | awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "req/s,") print $i}'
  else
    BODIES="$WORK/$1.jsonl" wrk -t1 -c8 -d"$3" -s src/bench/wrk/cycle.lua "http://localhost:$2" \
      | awk '/Requests\/sec/ {print $2}'
  fi
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
# "req/s cpu-ms-per-request" of one 10 s round against the server on port $2 (process $3)
measure() {
  local t0 r t1
  t0=$(ticks "$3"); r=$(rps "$1" "$2" 10s); t1=$(ticks "$3")
  awk -v r="$r" -v d="$((t1 - t0))" -v hz="$HZ" 'BEGIN { printf "%.1f %.4f", r, d * 1000 / hz / (r * 10) }'
}
for _ in 1 2; do for port in 18081 18082; do for body in balanced full; do rps "$body" "$port" 15s > /dev/null; done; done; done
echo "before = $BEFORE (port 18081), now = this working tree (port 18082); $TRANSPORT, $([ "$TRANSPORT" = grpc ] && echo "$STREAMS" || echo 8) in flight"
echo "req/s before, now (now / before) and the server's CPU ms per request before / now (now / before)"
for round in $(seq 1 "$ROUNDS"); do
  read -r bbr bbc <<< "$(measure balanced 18081 "$OLD_PID")"; read -r bnr bnc <<< "$(measure balanced 18082 "$NEW_PID")"
  read -r fbr fbc <<< "$(measure full 18081 "$OLD_PID")"; read -r fnr fnc <<< "$(measure full 18082 "$NEW_PID")"
  awk -v r="$round" -v bbr="$bbr" -v bnr="$bnr" -v fbr="$fbr" -v fnr="$fnr" \
      -v bbc="$bbc" -v bnc="$bnc" -v fbc="$fbc" -v fnc="$fnc" 'BEGIN {
    printf "round %d: balanced before %.0f now %.0f (%.3f), cpu %.3f / %.3f ms (%.3f);", r, bbr, bnr, bnr / bbr, bbc, bnc, bnc / bbc
    printf " full before %.0f now %.0f (%.3f), cpu %.3f / %.3f ms (%.3f)\n", fbr, fnr, fnr / fbr, fbc, fnc, fnc / fbc }'
done
