#!/usr/bin/env bash
# What a refusal costs the server: gRPC calls whose deadline (deadline_ms 0.001) no first stage can
# meet, 8 in flight from `lctserve-bench grpc` (closed loop, 10 s warm-up, then 20 s), each refused
# with UNAVAILABLE at submission; the server's CPU time (utime + stime from /proc/<pid>/stat) over
# the refusals it counted. The server runs on one core, the client on the other; rounds alternate
# the builds given (server jars, default: this checkout's).
#
#   bash src/bench/refusal-cost.sh [rounds] [server.jar ...]
# Needs: ./mvnw -B -DskipTests package, taskset.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-2}"
shift || true
JARS=("$@")
[ ${#JARS[@]} -gt 0 ] || JARS=(src/server/target/lctserve-server.jar)
WORK=$(mktemp -d)
source src/bench/server.sh
trap 'kill "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
BENCH="taskset -c 0 java -jar src/bench/target/lctserve-bench.jar"
refusals() { curl -s localhost:18087/actuator/prometheus | awk '/^lctserve_requests_seconds_count/ && /outcome="deadline"/ {s += $2} END {printf "%d", s}'; }
for round in $(seq 1 "$ROUNDS"); do
  for jar in "${JARS[@]}"; do
    SERVER_CPUS=1 SERVER_JAR="$jar" start_server 18087 "$WORK/server.log" --lctserve.grpc.port=18097
    $BENCH grpc --target localhost:18097 --seconds 10 --warmup-seconds 0 --streams 8 --parameter deadline_ms=0.001 > /dev/null 2>&1 || true
    n0=$(refusals); t0=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    $BENCH grpc --target localhost:18097 --seconds 20 --warmup-seconds 0 --streams 8 --parameter deadline_ms=0.001 > /dev/null 2>&1 || true
    n1=$(refusals); t1=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
    python3 -c "import sys; n, t = int(sys.argv[1]), int(sys.argv[2]); print(f'round $round, $jar: {n} refusals, {n / 20:.0f}/s, server CPU {t * 10 / n * 1000:.1f} us per refusal')" \
      $((n1 - n0)) $((t1 - t0))
  done
done
