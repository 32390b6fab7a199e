#!/usr/bin/env bash
# The overload contract over gRPC with h2load (nghttp2-client) as the generator: a C client that
# offers the rates the Java one cannot on one core. The server gets one core, h2load the other
# (taskset). Capacity: the most calls/s the server answered (its own lctserve_requests count) in
# closed loops of 16, 32 and 128 calls in flight on 4 connections (10 s each; under max-in-flight,
# 150), after a warm-up (below); then 1x, 2x and 4x of it offered in open loop,
# whatever became of earlier calls: h2load --rps on 10 connections started 1 ms apart, so that each
# millisecond sends rate/1000 calls (h2load's --rps sends a client's calls every 10 ms, all at once).
# Every call is `balanced` with deadline_ms and grpc-timeout 5 s. Answered and refused calls are
# counted by the server; latency is h2load's, over every call: a refusal is a trailers-only gRPC
# response with HTTP status 200, so h2load cannot tell it from an answer. So beside h2load a probe
# (lctserve-bench overload --grpc, PROBE_RATE calls/s, default 200, on its own connection and on
# h2load's core) sends the same calls and reports answered and refused latency apart, from when
# each call was due (its calls are in the server's counts too). PROBE_RATE=0 leaves it out.
# The server runs with G1 as in the image (SERVER_JAVA_OPTS; on one CPU the JVM would pick Serial).
#
#   bash src/bench/overload-h2load.sh [deadline_ms] [seconds]
# Needs: ./mvnw -B -DskipTests package, h2load (Debian nghttp2-client), taskset, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEADLINE="${1:-50}"
SECONDS_EACH="${2:-20}"
PROBE_RATE="${PROBE_RATE:-200}"
WORK=$(mktemp -d)
SERVER_CPUS="${SERVER_CPUS:-1}"
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS:--XX:+UseG1GC}"
source src/bench/server.sh
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
start_server 18086 "$WORK/server.log" --lctserve.grpc.port=18096 ${SERVER_ARGS:-}
GEN="taskset -c ${CLIENT_CPUS:-0}"
java -jar src/bench/target/lctserve-bench.jar wrk-bodies --grpc --out "$WORK/call.bin" \
  --parameters "{\"preset\":\"balanced\",\"deadline_ms\":$DEADLINE}"
H2LOAD_CPUS="${CLIENT_CPUS:-0}"
h2() { # h2 ARGS...: one ModelInfer call, again and again
  h2load_calls "$WORK/call.bin" 18096 -m 1000 -H 'grpc-timeout: 5S' "$@"
}
outcomes() { # the server's counts: answered, refused before any work, refused by the deadline
  curl -s localhost:18086/actuator/prometheus | awk '
    /^lctserve_requests_seconds_count/ && /outcome="success"/ {a += $2}
    /^lctserve_requests_seconds_count/ && /outcome="deadline"/ {d += $2}
    /^lctserve_requests_seconds_count/ && /outcome="busy"/ {d += $2}
    /^lctserve_refused_total/ {r += $2}
    END {printf "%d %d %d", a, r, d}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
# Warm-up: on one core the JIT's compiler takes much of the core for the first 35 s and the rate
# settles after about 90 s (server-threads.sh), and 10 s windows still move by up to a third when it
# compiles again (docs/BENCHMARKS.md); so SERVER_WARMUP seconds (default 90), then 10 s closed loops
# until two in a row agree within 5 % (at most 6)
h2 -c 4 -D "${SERVER_WARMUP:-90}" -m 8 > /dev/null
last=0
for _ in 1 2 3 4 5 6; do
  read -r a0 _ _ <<< "$(outcomes)"
  h2 -c 4 -D 10 -m 8 > /dev/null
  read -r a1 _ _ <<< "$(outcomes)"
  rate=$(( (a1 - a0) / 10 ))
  echo "warm-up, closed loop of 32: $rate answered/s"
  [ $(( rate * 100 )) -le $(( last * 105 )) ] && [ $(( rate * 100 )) -ge $(( last * 95 )) ] && break
  last=$rate
done
CAPACITY=0
for per_connection in 4 8 32; do # the answered rate is not monotonic in calls in flight
  read -r a0 _ _ <<< "$(outcomes)"
  h2 -c 4 -D 10 -m "$per_connection" > /dev/null
  read -r a1 _ _ <<< "$(outcomes)"
  echo "closed loop, $((4 * per_connection)) in flight: $(( (a1 - a0) / 10 )) answered/s"
  CAPACITY=$(( (a1 - a0) / 10 > CAPACITY ? (a1 - a0) / 10 : CAPACITY ))
done
echo "grpc via h2load, preset balanced, deadline_ms $DEADLINE: capacity $CAPACITY answered/s (the most of the closed loops)"
for factor in 1 2 4; do
  rate=$((CAPACITY * factor))
  read -r a0 r0 d0 <<< "$(outcomes)"
  t0=$(cpu_ticks)
  w0=$(date +%s%N)
  if [ "$PROBE_RATE" -gt 0 ]; then # starts with h2load; its JVM's first 3 s are not counted
    $GEN java -jar src/bench/target/lctserve-bench.jar overload --grpc localhost:18096 --channels 1 \
      --rate "$PROBE_RATE" --warmup-seconds 3 --seconds $((SECONDS_EACH - 5)) --timeout-ms 5000 \
      --parameters "{\"preset\":\"balanced\",\"deadline_ms\":$DEADLINE}" > "$WORK/probe.$factor.out" 2>&1 &
    PROBE=$!
  fi
  h2 -c 10 -r 1 --rate-period 1ms -n $((rate * SECONDS_EACH)) --rps $((rate / 10)) --log-file "$WORK/calls.$factor.log" > "$WORK/h2load.out"
  t1=$(cpu_ticks)
  w1=$(date +%s%N)
  if [ "$PROBE_RATE" -gt 0 ]; then
    wait "$PROBE" || true
  fi
  read -r a1 r1 d1 <<< "$(outcomes)"
  python3 - "$WORK/calls.$factor.log" "$factor" "$rate" $(( (w1 - w0) / 1000000 )) $((a1 - a0)) $((r1 - r0)) $((d1 - d0)) \
      $((t1 - t0)) "$CAPACITY" <<'PY'
import collections, sys
log, factor, rate, elapsed_ms, answered, refused, deadline, ticks, capacity = sys.argv[1:]
secs, answered, refused, deadline, capacity = int(elapsed_ms) / 1000, int(answered), int(refused), int(deadline), int(capacity)
rows = [line.split() for line in open(log)]
starts = sorted(int(r[0]) for r in rows)  # microseconds
sending = (starts[-1] - starts[0]) / 1e6
per_ms = sorted(collections.Counter((t - starts[0]) // 1000 for t in starts).values())
done = sorted(int(r[2]) / 1000 for r in rows if r[1] != "-1")
failed = sum(1 for r in rows if r[1] == "-1")
q = lambda p: done[min(len(done) - 1, int(p * len(done)))] if done else float("nan")
print(f"== {factor}x: {rate}/s offered, {len(rows) / sending:.0f}/s sent for {sending:.1f} s (calls in one ms: p99"
      f" {per_ms[int(.99 * len(per_ms))]}, max {per_ms[-1]}); over the {secs:.1f} s: answered {answered / secs:.0f}/s"
      f" ({answered / secs / capacity * 100:.0f} % of capacity), refused at once {refused}, refused by the deadline"
      f" {deadline}, failed streams {failed}; every call p50 {q(.5):.1f} ms, p99 {q(.99):.1f} ms, max"
      f" {q(1):.1f} ms; server CPU {int(ticks) / 100 / secs * 100:.0f} % of its core")
PY
  if [ "$PROBE_RATE" -gt 0 ]; then
    sed 's/^/   probe: /' "$WORK/probe.$factor.out"
  fi
  sleep 3
done
