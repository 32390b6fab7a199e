#!/usr/bin/env bash
# compare-builds.sh on one core, under the load the overload contract puts on it: an earlier commit's
# server and this working tree's, both pinned to core 1 (G1, as in the image), h2load on core 0 keeping
# closed loops of gRPC calls in flight (`balanced`, deadline_ms 50, grpc-timeout 5 s), 10 s per build
# and loop, the builds' order alternating from round to round. After 90 s of warm-up each (45 s twice,
# alternating), prints per build: calls answered/s, the server's CPU per answered call (/proc), stage
# 0's mean batch and its run time per sample (lctserve_batch_size, lctserve_stage_compute).
# EXTRA holds server arguments both builds get (e.g. --lctserve.batching.max-batch-size=256).
#
#   bash src/bench/one-core-builds.sh <earlier-commit> [rounds] [calls in flight per connection, 4 connections...]
# Needs: ./mvnw -B -DskipTests package, h2load (Debian nghttp2-client), taskset.
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE="${1:?usage: one-core-builds.sh <earlier-commit> [rounds] [in flight per connection...]}"
ROUNDS="${2:-4}"
shift $(($# > 1 ? 2 : 1))
PER_CONNECTION=("$@")
[ ${#PER_CONNECTION[@]} -gt 0 ] || PER_CONNECTION=(4 32)
WORK=$(mktemp -d)
OLD="$WORK/before"
cleanup() {
  kill "${A:-}" "${B:-}" 2>/dev/null || true
  git worktree remove --force "$OLD" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
source src/bench/server.sh
build_commit "$BEFORE" "$OLD"
SERVER_CPUS=1
SERVER_JAVA_OPTS="-XX:+UseG1GC"
SERVER_JAR="$OLD/src/server/target/lctserve-server.jar" start_server 18071 "$WORK/before.log" --lctserve.grpc.port=18171 ${EXTRA:-}
A=$SERVER
start_server 18072 "$WORK/now.log" --lctserve.grpc.port=18172 ${EXTRA:-}
B=$SERVER
java -jar src/bench/target/lctserve-bench.jar wrk-bodies --grpc --out "$WORK/call.bin" \
  --parameters '{"preset":"balanced","deadline_ms":50}' > /dev/null
H2LOAD_CPUS=0
h2() { # h2 PORT ARGS...: the call, again and again, from core 0
  h2load_calls "$WORK/call.bin" "$1" -H 'grpc-timeout: 5S' "${@:2}" > /dev/null
}
counts() { # "answered stage-0-runs stage-0-samples stage-0-seconds" of the server on port $1
  curl -s "localhost:$1/actuator/prometheus" | awk '
    /^lctserve_requests_seconds_count/ && /outcome="success"/ {a += $2}
    /^lctserve_batch_size_count/ && /stage="0"/ {c += $2}
    /^lctserve_batch_size_sum/ && /stage="0"/ {s += $2}
    /^lctserve_stage_compute_seconds_sum/ && /stage="0"/ {x += $2}
    END {printf "%d %d %d %.6f", a, c, s, x}'
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for _ in 1 2; do h2 18171 -c 4 -m 8 -D 45; h2 18172 -c 4 -m 8 -D 45; done
echo "before = $BEFORE, now = this working tree; both on core 1, h2load on core 0${EXTRA:+; $EXTRA}"
for round in $(seq 1 "$ROUNDS"); do
  for m in "${PER_CONNECTION[@]}"; do
    line="round $round, $((4 * m)) in flight:"
    sides=("before 18071 18171 $A" "now 18072 18172 $B")
    [ $((round % 2)) = 0 ] && sides=("${sides[1]}" "${sides[0]}")
    for side in "${sides[@]}"; do
      read -r name http grpc pid <<< "$side"
      read -r a0 c0 s0 x0 <<< "$(counts "$http")"
      t0=$(ticks "$pid")
      h2 "$grpc" -c 4 -m "$m" -D 10
      read -r a1 c1 s1 x1 <<< "$(counts "$http")"
      t1=$(ticks "$pid")
      line+=$(awk -v n="$name" -v a=$((a1 - a0)) -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v c=$((c1 - c0)) \
          -v s=$((s1 - s0)) -v x0="$x0" -v x1="$x1" 'BEGIN {
        printf " | %s %d/s, CPU %.1f us/call, stage 0 batch %.1f, %.1f us/sample", n, a / 10, t * 1e6 / hz / a, s / c,
          (x1 - x0) * 1e6 / s }')
    done
    echo "$line"
  done
done
