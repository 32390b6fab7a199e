#!/usr/bin/env bash
# Where the server's CPU goes for one kind of load: async-profiler (Maven Central's
# tools.profiler:async-profiler:3.0, its linux-x64 agent) samples the server's CPU every 1 ms while
# `lctserve-bench grpc` keeps 8 calls in flight for 10 s of warm-up and 45 s more; at exit the
# collapsed stacks are grouped into what the fixed cost is made of (JIT compiler threads left out).
#
#   bash src/bench/profile-server.sh [knob, e.g. mode=full or preset=balanced] [out.collapsed]
# Needs: ./mvnw -B -DskipTests package, python3, unzip.
set -euo pipefail
cd "$(dirname "$0")/../.."
KNOB="${1:-mode=full}"
OUT="${2:-$(mktemp -d)/server.collapsed}"
WORK=$(mktemp -d)
./mvnw -B -q dependency:get -Dartifact=tools.profiler:async-profiler:3.0 > /dev/null
unzip -q -o "$HOME/.m2/repository/tools/profiler/async-profiler/3.0/async-profiler-3.0.jar" 'linux-x64/*' -d "$WORK"
java -agentpath:"$WORK/linux-x64/libasyncProfiler.so=start,event=cpu,interval=1ms,file=$OUT,collapsed" \
  -jar src/server/target/lctserve-server.jar --server.port=18088 --lctserve.grpc.port=18098 > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf localhost:18088/v2/health/ready > /dev/null && break; sleep 0.5; done
java -jar src/bench/target/lctserve-bench.jar grpc --target localhost:18098 --seconds 45 --warmup-seconds 10 \
  --streams 8 --parameter "$KNOB"
kill "$SERVER"; wait "$SERVER" || true
echo "collapsed stacks: $OUT"
python3 - "$OUT" <<'EOF'
import collections, sys
groups = collections.Counter()
total = 0
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n)
    if "Compiler" in stack:
        continue  # the JIT, mostly warm-up
    total += n
    if "OrtSession.run" in stack or "headLogits" in stack:
        key = "ONNX Runtime: stages and heads"
    elif "StageStep.answer" in stack:
        key = "answers: results assembled, the gRPC response written (batching worker)"
    elif "epoll" in stack and ("InferCalls" in stack or "InferenceService" in stack):
        key = "event loop: call decoded and submitted"
    elif "epoll" in stack:
        key = "event loop: socket I/O, HTTP/2 framing"
    elif "Tensors." in stack:
        key = "tensors: batch stacked, rows copied out"
    elif "BatchScheduler" in stack:
        key = "batching: queues, wake-ups, timers"
    elif "G1" in stack or "GC" in stack:
        key = "garbage collection"
    else:
        key = "other (the server's own start among it: sampling begins with the JVM)"
    groups[key] += n
print(f"{total} samples outside the JIT compiler")
for key, n in groups.most_common():
    print(f"{100 * n / total:5.1f} %  {key}")
EOF
