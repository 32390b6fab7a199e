#!/usr/bin/env bash
# Is a change slower? Serves the shipped model from an earlier commit's server and from this
# working tree's, side by side, and alternates wrk rounds between them (balanced preset and full
# mode, 8 connections, 10 s each after 15 s of warm-up per pair), so that every pair of numbers
# sees the same machine. Each build serves its own checkout's models/ folder.
# Needs: ./mvnw -B -DskipTests package (for this tree's jars) and wrk.
#   bash src/bench/compare-builds.sh <earlier-commit> [rounds] [fp32|grpc]
# (fp32: FP32 JSON bodies as Triton's and KServe's clients send them, instead of UINT8;
#  grpc: the gRPC service instead, through lctserve-bench grpc with 8 calls in flight, or
#  STREAMS=N calls; wrk's connections stay 8)
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE="${1:?usage: compare-builds.sh <earlier-commit> [rounds]}"
ROUNDS="${2:-5}"
KIND=$([ "${3:-}" = fp32 ] && echo --fp32 || true)
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
git worktree add -q "$OLD" "$BEFORE"
(cd "$OLD" && ./mvnw -B -q -DskipTests -Dspotless.check.skip=true -pl src/server -am package)
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
for _ in 1 2; do for port in 18081 18082; do for body in balanced full; do rps "$body" "$port" 15s > /dev/null; done; done; done
echo "before = $BEFORE (port 18081), now = this working tree (port 18082); $TRANSPORT, $([ "$TRANSPORT" = grpc ] && echo "$STREAMS" || echo 8) in flight, req/s"
for round in $(seq 1 "$ROUNDS"); do
  bb=$(rps balanced 18081 10s); bn=$(rps balanced 18082 10s); fb=$(rps full 18081 10s); fn=$(rps full 18082 10s)
  awk -v r="$round" -v bb="$bb" -v bn="$bn" -v fb="$fb" -v fn="$fn" 'BEGIN {
    printf "round %d: balanced before %.0f now %.0f (%.3f), full before %.0f now %.0f (%.3f)\n",
      r, bb, bn, bn / bb, fb, fn, fn / fb }'
done
