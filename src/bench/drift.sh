#!/usr/bin/env bash
# Live accuracy under drift (README, "Accuracy on live traffic"; issue 24's targets): a fresh server with
# its defaults (shadow verification 1 %, 25 % after a traffic shift, recalibration on) per run, and
# lctserve-bench drift against it:
#   0. recalibration off: 2,000 held-out moved images answered by balanced, fast and full mode (before);
#   1. 5,000 clean requests with preset balanced, then 20,000 with the images moved 3 px right and down: when
#      the server saw the traffic move (its answers' depth), when balanced turned above calibration and when
#      each preset was recalibrated (metadata polled every 250 requests), then the same 2,000 held-out moved
#      images as run 0 (after).
#   2. clean traffic only (50,000 requests): recalibrations (none expected) and the mean MACs fraction.
# Needs the server and bench jars (./mvnw -B -DskipTests package) and nothing else running.
#   bash src/bench/drift.sh [extra lctserve-bench drift options for runs 0 and 1]
#   bash src/bench/drift.sh --drift contrast   (or blur, noise: other drifts than the 3 px move)
#   SERVER_ARGS='--lctserve.verification.fraction=0.03' bash src/bench/drift.sh   (other server settings)
#   CLEAN_RUN=0 bash src/bench/drift.sh ...   (runs 0 and 1 only)
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/bench/server.sh
[ -f src/server/target/lctserve-server.jar ] && [ -f src/bench/target/lctserve-bench.jar ] \
  || ./mvnw -B -q -DskipTests package
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18086
GRPC=18096
BENCH=(java -jar src/bench/target/lctserve-bench.jar drift --target "localhost:$GRPC" --http "http://localhost:$PORT"
       --data testdata/fashion-mnist)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
echo "== run 0: recalibration off, the held-out moved images only (the manifest's settings)"
start_server "$PORT" "$WORK/off.log" --lctserve.grpc.port="$GRPC" --lctserve.verification.recalibrate=false ${SERVER_ARGS:-}
"${BENCH[@]}" --clean 0 --drifted 0 "$@"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
echo "== run 1: clean, then drifted (moved 3 px unless --drift says otherwise)"
start_server "$PORT" "$WORK/drift.log" --lctserve.grpc.port="$GRPC" ${SERVER_ARGS:-}
"${BENCH[@]}" "$@"
grep -E "recalibrat|live disagreement|traffic moved" "$WORK/drift.log" | sed -E 's/^.*(model )/\1/' || true
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
[ "${CLEAN_RUN:-1}" = 0 ] && exit 0
echo "== run 2: clean traffic only"
start_server "$PORT" "$WORK/clean.log" --lctserve.grpc.port="$GRPC" ${SERVER_ARGS:-}
"${BENCH[@]}" --clean 50000 --drifted 0 --shift 0 --measure balanced
curl -s "localhost:$PORT/actuator/prometheus" | grep -E "^lctserve_recalibrations" || echo "lctserve_recalibrations: none"
