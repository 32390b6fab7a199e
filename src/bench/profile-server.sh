#!/usr/bin/env bash
# Where the server's CPU goes for one kind of load: async-profiler (Maven Central's
# tools.profiler:async-profiler:3.0, its linux-x64 agent) samples the server's CPU every 1 ms while
# 8 requests stay in flight for 10 s of warm-up and 45 s more: gRPC calls (`lctserve-bench grpc`), or
# with LOAD=json HTTP JSON FP32 bodies (wrk, 8 connections, the bodies cpu-cost.sh sends). At exit the
# collapsed stacks are grouped into what the fixed cost is made of (JIT compiler threads left out).
# LOAD=refusals: what a refusal at admission costs: the server on core 1 with max-in-flight 1, h2load
# on core 0 keeping 256 gRPC calls in flight (the knob's call), so that nearly every call is refused at
# once; prints the server's CPU per refusal over the 45 s and the event loop's time by part.
#
#   [LOAD=json|refusals] bash src/bench/profile-server.sh [knob, e.g. mode=full or preset=balanced] [out.collapsed]
# Needs: ./mvnw -B -DskipTests package, python3, unzip; wrk for LOAD=json, h2load and taskset for refusals.
set -euo pipefail
cd "$(dirname "$0")/../.."
KNOB="${1:-mode=full}"
OUT="${2:-$(mktemp -d)/server.collapsed}"
WORK=$(mktemp -d)
./mvnw -B -q dependency:get -Dartifact=tools.profiler:async-profiler:3.0 > /dev/null
unzip -q -o "$HOME/.m2/repository/tools/profiler/async-profiler/3.0/async-profiler-3.0.jar" 'linux-x64/*' -d "$WORK"
SERVER_ARGS=()
if [ "${LOAD:-grpc}" = refusals ]; then
  SERVER_ARGS=(--lctserve.max-in-flight=1)
  SERVER_CPUS=1
fi
SERVER_JAVA_OPTS="-agentpath:$WORK/linux-x64/libasyncProfiler.so=start,event=cpu,interval=1ms,file=$OUT,collapsed"
source src/bench/server.sh
trap 'kill "${SERVER:-}" 2>/dev/null || true' EXIT
start_server 18088 "$WORK/server.log" --lctserve.grpc.port=18098 "${SERVER_ARGS[@]}"
BENCH="java -jar src/bench/target/lctserve-bench.jar"
if [ "${LOAD:-grpc}" = json ]; then
  # the knob as a request parameter: mode=full -> {"mode":"full"}
  $BENCH wrk-bodies --fp32 --out "$WORK/bodies.jsonl" --parameters "{\"${KNOB%%=*}\":\"${KNOB#*=}\"}" > /dev/null
  BODIES="$WORK/bodies.jsonl" wrk -t1 -c8 -d10s -s src/bench/wrk/cycle.lua http://localhost:18088 > /dev/null
  BODIES="$WORK/bodies.jsonl" wrk -t1 -c8 -d45s -s src/bench/wrk/cycle.lua http://localhost:18088
elif [ "${LOAD:-grpc}" = refusals ]; then
  $BENCH wrk-bodies --grpc --out "$WORK/call.bin" --parameters "{\"${KNOB%%=*}\":\"${KNOB#*=}\"}" > /dev/null
  h2() {
    H2LOAD_CPUS=0 h2load_calls "$WORK/call.bin" 18098 -c 4 -m 64 -D "$1" > /dev/null
  }
  refused() { curl -s localhost:18088/actuator/prometheus | awk '/^lctserve_refused_total/ {r += $2} END {printf "%d", r}'; }
  h2 10
  n0=$(refused); t0=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
  h2 45
  n1=$(refused); t1=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
  echo "$((n1 - n0)) refusals at admission in 45 s, server CPU $(( (t1 - t0) * 10000 / (n1 - n0) )) us per refusal (the few calls let through included)"
else
  $BENCH grpc --target localhost:18098 --seconds 45 --warmup-seconds 10 --streams 8 --parameter "$KNOB"
fi
kill "$SERVER"; wait "$SERVER" || true
echo "collapsed stacks: $OUT"
python3 - "$OUT" <<'EOF'
import collections, sys
groups = collections.Counter()
total = kernel = 0
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n)
    if "Compiler" in stack:
        continue  # the JIT, mostly warm-up
    total += n
    if stack.endswith("_[k]"):
        kernel += n  # the sample's leaf is in the kernel (socket calls, futex wake-ups, epoll)
    if "OrtSession.run" in stack or "headLogits" in stack:
        key = "ONNX Runtime: stages and heads"
    elif "StageStep.answer" in stack:
        key = "answers assembled on the batching worker (over gRPC, the response written)"
    elif "Tensors." in stack:
        key = "tensors: batch stacked, rows copied out"
    elif "BatchScheduler" in stack:
        key = "batching: queues, wake-ups, timers"
    elif "Jackson" in stack or "tools/jackson" in stack or "tools.jackson" in stack:
        key = "JSON: request parsed, answer written (Jackson)"
    elif "DispatcherServlet" in stack:
        key = "Spring MVC: dispatch, handler lookup, arguments, return value (Jackson not counted)"
    elif "org/apache/tomcat" in stack or "org/apache/coyote" in stack or "org/apache/catalina" in stack \
            or "org.apache" in stack:
        key = "Tomcat: connection, HTTP/1.1 parsing, filters (Spring MVC not counted)"
    elif "epoll" in stack and ("InferCalls" in stack or "InferenceService" in stack):
        key = "event loop: call decoded and submitted"
    elif "epoll" in stack:
        key = "event loop: socket I/O, HTTP/2 framing"
    elif "G1" in stack or "GC" in stack:
        key = "garbage collection"
    else:
        key = "other (the server's own start among it: sampling begins with the JVM)"
    groups[key] += n
print(f"{total} samples outside the JIT compiler, {100 * kernel / max(total, 1):.1f} % of them in the kernel")
for key, n in groups.most_common():
    print(f"{100 * n / total:5.1f} %  {key}")
# the event loop's own time (a refused call never leaves it), by part; the first match names it
parts = [("ModelInferRequest", "protobuf: the request parsed"), ("InferCalls", "lctserve: call read, submitted, refused"),
         ("Hpack", "HPACK"), ("streamCreated", "gRPC: stream created (method, context, deadline)"),
         ("MessageDeframer", "gRPC: deframer"), ("WriteQueue", "response trailers written, flushed"),
         ("onHeadersRead", "HTTP/2: headers frames"), ("onDataRead", "HTTP/2: data frames"),
         ("doReadBytes", "socket reads"), ("readv", "socket reads"), ("flush", "response trailers written, flushed")]
loop = collections.Counter()
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    if "Compiler" in stack or "SingleThreadIoEventLoop.run" not in stack:
        continue
    loop[next((name for key, name in parts if key in stack), "other")] += int(n)
if loop:
    print(f"the event loop: {sum(loop.values())} samples")
    for key, n in loop.most_common():
        print(f"{100 * n / sum(loop.values()):5.1f} %  {key}")
EOF
