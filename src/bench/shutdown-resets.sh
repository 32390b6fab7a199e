#!/usr/bin/env bash
# Does a SIGTERM under keep-alive load lose requests? Two servers behind ready_balancer.py (new
# connections go only to a backend whose /v2/health/ready answers 200, as a Kubernetes Service
# routes them); load runs through the balancer, and 3 s in, server A gets SIGTERM with a drain of
# DRAIN (default 3s). Every run counts what the load generator saw: answers, statuses other than
# 200 (a refusal with a status is allowed), and requests that got no status at all: HTTP requests
# whose connection closed or reset before their answer (keepalive_load.py, 8 kept-alive
# connections; not wrk, which counts every connection ended by `Connection: close` as a read error
# though its requests were answered), or gRPC calls that failed in transport (UNAVAILABLE without an
# answer from the server). A is started again for the next run.
#
#   bash src/bench/shutdown-resets.sh [runs] [http|grpc]
# Needs: ./mvnw -B -DskipTests package, python3. DIRECT=1 sends the load to A itself instead
# (no balancer: the client reconnects to the stopping server, as nothing in production does).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-10}"
TRANSPORT="${2:-http}"
DRAIN="${DRAIN:-3s}"
WORK=$(mktemp -d)
source src/bench/server.sh
pids=()
cleanup() {
  kill "${pids[@]}" "${A:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server 18082 "$WORK/b.log" --lctserve.grpc.port=18092
pids+=("$SERVER")
python3 src/bench/clients/ready_balancer.py --listen 18080 --backend 18081:18081 --backend 18082:18082 \
  2> "$WORK/balancer-http.log" &
pids+=("$!")
python3 src/bench/clients/ready_balancer.py --listen 18090 --backend 18091:18081 --backend 18092:18082 \
  2> "$WORK/balancer-grpc.log" &
pids+=("$!")
BENCH="java -jar src/bench/target/lctserve-bench.jar"
$BENCH wrk-bodies --out "$WORK/bodies.jsonl" --parameters '{"preset":"balanced"}' > /dev/null
if [ "${DIRECT:-0}" = 1 ]; then HTTP_PORT=18081; GRPC_PORT=18091; else HTTP_PORT=18080; GRPC_PORT=18090; fi

echo "SIGTERM 3 s into 8 s of load ($TRANSPORT, 8 in flight, $([ "${DIRECT:-0}" = 1 ] && echo "straight to the server" || echo "through the balancer")), drain $DRAIN"
total_lost=0
for run in $(seq 1 "$RUNS"); do
  start_server 18081 "$WORK/a.log" --lctserve.grpc.port=18091 --lctserve.drain="$DRAIN"
  A=$SERVER
  sleep 0.5 # the balancer's probe sees A ready
  (sleep 3; kill -TERM "$A") &
  if [ "$TRANSPORT" = grpc ]; then
    line=$($BENCH grpc --target "localhost:$GRPC_PORT" --streams 8 --seconds 8 --warmup-seconds 0 \
      --parameter preset=balanced 2> "$WORK/grpc.err" || true)
    answered=$(awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "req/s,") print int($i * 8)}' <<< "$line")
    errors=$(grep -o 'errors [0-9]*' <<< "$line" | awk '{print $2}')
    # a failure is lost unless the server answered it with a status (its message says so)
    lost=$(grep -c '^lost:' "$WORK/grpc.err" || true)
    refused=$(( ${errors:-0} - lost ))
    echo "run $run: $answered answered, $refused refused with a status, $lost lost $(grep '^lost:' "$WORK/grpc.err" | head -1)"
  else
    out=$(python3 src/bench/clients/keepalive_load.py --port "$HTTP_PORT" --connections 8 --seconds 8 \
      --bodies "$WORK/bodies.jsonl")
    lost=$(awk '/^answered/ {print $NF}' <<< "$out")
    echo "run $run: $(tr '\n' ' ' <<< "$out")"
  fi
  total_lost=$((total_lost + ${lost:-0}))
  wait "$A" 2>/dev/null || true
  A=
done
echo "lost over $RUNS runs: $total_lost"
