#!/usr/bin/env bash
# What shadow verification costs in serving, as throughput at 64 connections: two servers run side by
# side, one with verification at its defaults (lctserve.verification.*), one with it off, and wrk
# (-t2 -c64, balanced JSON bodies) loads one at a time in short windows, in the order on, off, off, on,
# on, off... so that a machine getting faster or slower over the run favours neither (on this shared
# VM the speed drifts by 10-20 % between minutes; one server per round, as the first version of this
# script did, measured that drift more than the 5 % asked). Between windows the loaded server's
# shadow work finishes (a second's pause), so neither server's work runs in the other's window.
#
# Per window: requests/s and the loaded server's own CPU per request (/proc/<pid>/stat). At the end:
# the on/off throughput ratio of each pair of neighbouring windows, their geometric mean with a 95 %
# interval (t on the log ratios), the ratio of all requests, each server's CPU per request over the
# whole run (its idle windows included), and the samples verified and dropped.
#
#   bash src/bench/verification-cost.sh [pairs] [seconds per window]     (default: 20 5)
# Needs: ./mvnw -B -DskipTests package, wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/bench/server.sh
PAIRS="${1:-20}"
SECONDS_PER_WINDOW="${2:-5}"
WORK=$(mktemp -d)
PORTS=(18097 18098)
NAMES=("on" "off")
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
java -jar src/bench/target/lctserve-bench.jar wrk-bodies --out "$WORK/bodies.jsonl" \
  --parameters '{"preset":"balanced"}' > /dev/null
start_server "${PORTS[0]}" "$WORK/on.log" --lctserve.grpc.port=-1 --lctserve.verification.enabled=true
PIDS+=("$SERVER")
start_server "${PORTS[1]}" "$WORK/off.log" --lctserve.grpc.port=-1 --lctserve.verification.enabled=false
PIDS+=("$SERVER")

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() { # port seconds -> requests answered
  BODIES="$WORK/bodies.jsonl" wrk -t2 -c64 -d"$2s" -s src/bench/wrk/cycle.lua "http://localhost:$1" \
    | awk '/requests in/ {print $1}'
}
verified() { # port -> "verified dropped"
  curl -s "localhost:$1/actuator/prometheus" | awk '/^lctserve_verified_total/ {
    if ($1 ~ /outcome="dropped"/) d += $2; else v += $2 } END {printf "%d %d", v, d}'
}
for i in 0 1; do load "${PORTS[$i]}" 15 > /dev/null; done # warm both (JIT, pools)
sleep 1
read -r v0 d0 <<< "$(verified "${PORTS[0]}")"
start0=("$(ticks "${PIDS[0]}")" "$(ticks "${PIDS[1]}")")
echo "pair window server req/s cpu-ms-per-request" > "$WORK/windows"
for pair in $(seq 1 "$PAIRS"); do
  order=(0 1)
  [ $((pair % 2)) -eq 0 ] && order=(1 0)
  for i in "${order[@]}"; do
    t0=$(ticks "${PIDS[$i]}")
    n=$(load "${PORTS[$i]}" "$SECONDS_PER_WINDOW")
    t1=$(ticks "${PIDS[$i]}")
    sleep 1
    awk -v p="$pair" -v s="${NAMES[$i]}" -v n="$n" -v d="$((t1 - t0))" -v w="$SECONDS_PER_WINDOW" \
      -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d %s %.0f %.4f\n", p, s, n / w, d * 1000 / hz / n }' \
      | tee -a "$WORK/windows" | awk '{printf "pair %s, verification %-3s %6d req/s, server CPU %.3f ms/request\n", $1, $2, $3, $4}'
    echo "$n" >> "$WORK/requests-$i"
  done
done
read -r v1 d1 <<< "$(verified "${PORTS[0]}")"
end=("$(ticks "${PIDS[0]}")" "$(ticks "${PIDS[1]}")")
python3 - "$WORK/windows" "$((v1 - v0))" "$((d1 - d0))" <<'EOF'
import math, statistics, sys
rows = [l.split() for l in open(sys.argv[1]).readlines()[1:]]
verified, dropped = int(sys.argv[2]), int(sys.argv[3])
by = {}
for pair, server, rate, cpu in rows:
    by.setdefault(int(pair), {})[server] = (float(rate), float(cpu))
logs = [math.log(p["on"][0] / p["off"][0]) for p in by.values()]
n = len(logs)
mean, sd = statistics.mean(logs), statistics.stdev(logs)
t = {5: 2.776, 10: 2.262, 15: 2.145, 20: 2.093, 30: 2.045}.get(n, 1.96 if n > 30 else 2.571)  # 95 %, n-1 df (approx.)
half = t * sd / math.sqrt(n)
req = {s: sum(p[s][0] for p in by.values()) for s in ("on", "off")}
cpu = {s: statistics.median(p[s][1] for p in by.values()) for s in ("on", "off")}
print(f"{n} pairs; throughput on/off: geometric mean {math.exp(mean):.3f} (95 % interval {math.exp(mean - half):.3f}"
      f"-{math.exp(mean + half):.3f}), median of pairs {math.exp(statistics.median(logs)):.3f},"
      f" all requests {req['on'] / req['off']:.3f}")
print(f"median req/s: on {statistics.median(p['on'][0] for p in by.values()):.0f},"
      f" off {statistics.median(p['off'][0] for p in by.values()):.0f}")
print(f"server CPU per request, median of windows: on {cpu['on']:.3f} ms, off {cpu['off']:.3f} ms"
      f" ({cpu['on'] / cpu['off']:.3f})")
print(f"verification on: {verified} samples verified, {dropped} dropped in the measured windows")
EOF
for i in 0 1; do
  n=$(awk '{s += $1} END {print s}' "$WORK/requests-$i")
  t=$([ "$i" = 0 ] && echo "$((end[0] - start0[0]))" || echo "$((end[1] - start0[1]))")
  awk -v s="${NAMES[$i]}" -v n="$n" -v t="$t" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "verification %s: %d requests, server CPU over the whole run (idle windows included) %.3f ms/request\n", s, n, t * 1000 / hz / n}'
done
