#!/usr/bin/env bash
# Where the server's CPU goes over time, by thread: the server on one core (G1, as in the image), a
# closed loop of 32 gRPC calls in flight (h2load on the other core; overload-h2load.sh's call:
# `balanced`, deadline_ms 50) for SECONDS, and every 5 s the calls answered per second beside each
# thread group's CPU ticks (1/100 s) from /proc/<pid>/task/*/stat: the JIT's compiler threads, GC,
# the batching workers, the event loop.
# Tells a server that got slower everywhere from one thread or the collector taking the core.
#
#   bash src/bench/server-threads.sh [seconds]
# Needs: ./mvnw -B -DskipTests package, h2load (Debian nghttp2-client), taskset, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_ALL="${1:-240}"
WORK=$(mktemp -d)
SERVER_CPUS=1
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS:--XX:+UseG1GC}"
source src/bench/server.sh
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
start_server 18085 "$WORK/server.log" --lctserve.grpc.port=18095
java -jar src/bench/target/lctserve-bench.jar wrk-bodies --grpc --out "$WORK/call.bin" \
  --parameters '{"preset":"balanced","deadline_ms":50}'
H2LOAD_CPUS=0 h2load_calls "$WORK/call.bin" 18095 -c 4 -m 8 -D "$SECONDS_ALL" -H 'grpc-timeout: 5S' > /dev/null &
LOAD=$!
taskset -c 0 python3 - "$SERVER" "$SECONDS_ALL" <<'PY'
import collections, os, re, sys, time, urllib.request
pid, seconds = sys.argv[1], int(sys.argv[2])
def answered():
    text = urllib.request.urlopen("http://localhost:18085/actuator/prometheus").read().decode()
    return sum(float(l.split()[-1]) for l in text.splitlines()
               if l.startswith("lctserve_requests_seconds_count") and 'outcome="success"' in l)
def threads():  # thread group (name without its number) -> utime + stime
    ticks = collections.Counter()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue
        name = re.sub(r"[-#\s\d]*$", "", stat[stat.index("(") + 1:stat.rindex(")")])  # the kernel keeps 15 chars
        fields = stat[stat.rindex(")") + 2:].split()
        ticks[name] += int(fields[11]) + int(fields[12])
    return ticks
a0, t0 = answered(), threads()
for window in range(1, seconds // 5 + 1):
    time.sleep(5)
    a1, t1 = answered(), threads()
    delta = collections.Counter({k: t1[k] - t0.get(k, 0) for k in t1})
    top = ", ".join(f"{k} {v}" for k, v in delta.most_common(5) if v > 0)
    print(f"{window * 5:4d} s: {(a1 - a0) / 5:6.0f} answered/s, {sum(delta.values()):3d} ticks: {top}", flush=True)
    a0, t0 = a1, t1
PY
wait "$LOAD" || true
