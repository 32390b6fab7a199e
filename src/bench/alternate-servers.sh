#!/usr/bin/env bash
# Alternating rounds between two ways of starting the server (environment and arguments), each
# warmed for 10 s and then loaded with wrk -t2 -c64 for 15 s (balanced JSON bodies): requests/s, the
# server's own CPU per request (/proc/<pid>/stat), its RSS, and the samples shadow verification
# checked and dropped in the round. Used by memory-flags-ab.sh.
#
#   src/bench/alternate-servers.sh ROUNDS NAME_A ENV_A ARGS_A NAME_B ENV_B ARGS_B
#
# ENV_* is "NAME=value|NAME=value" (values may hold spaces), ARGS_* the server arguments.
# Needs: ./mvnw -B -DskipTests package, wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/bench/server.sh
ROUNDS="$1"
PORT=18099
WORK=$(mktemp -d)
java -jar src/bench/target/lctserve-bench.jar wrk-bodies --out "$WORK/bodies.jsonl" \
  --parameters '{"preset":"balanced"}' > /dev/null
trap 'kill $SERVER 2>/dev/null || true' EXIT

round() { # name env args
  local name="$1" env="$2" args="$3" kv
  IFS='|' read -ra pairs <<< "$env"
  for kv in "${pairs[@]}"; do [ -n "$kv" ] && export "$kv"; done
  # shellcheck disable=SC2086
  start_server "$PORT" "$WORK/server.log" --lctserve.grpc.port=-1 $args
  for kv in "${pairs[@]}"; do [ -n "$kv" ] && unset "${kv%%=*}"; done
  BODIES="$WORK/bodies.jsonl" wrk -t2 -c64 -d10s -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > /dev/null
  local t0 t1 out requests
  t0=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
  out=$(BODIES="$WORK/bodies.jsonl" wrk -t2 -c64 -d15s -s src/bench/wrk/cycle.lua "http://localhost:$PORT")
  t1=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "round $r, $name: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s," \
    "server CPU $(awk -v t=$((t1 - t0)) -v n="$requests" -v hz="$(getconf CLK_TCK)" \
      'BEGIN {printf "%.3f", t * 1000 / hz / n}') ms/request," \
    "RSS $(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status") KB," \
    "$(curl -s "localhost:$PORT/actuator/prometheus" | awk '/^lctserve_verified_total/ {
        if ($1 ~ /outcome="dropped"/) d += $2; else v += $2 } END {printf "%d verified, %d dropped", v, d}')"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
}

for r in $(seq 1 "$ROUNDS"); do
  round "$2" "$3" "$4"
  round "$5" "$6" "$7"
done
