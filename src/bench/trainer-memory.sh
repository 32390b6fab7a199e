#!/usr/bin/env bash
# Peak RSS of a training run: runs `lctserve-trainer train ARGS...` and samples the trainer's JVM (the
# child the trainer restarts itself as) every 2 s from /proc/<pid>/status; prints the largest VmRSS.
# Usage: src/bench/trainer-memory.sh --data work/colour64 --output work/models/colour64/1 --epochs 1
# Environment (MALLOC_ARENA_MAX=2, ...) passes through to the trainer.
set -euo pipefail
java -jar "$(dirname "$0")/../trainer/target/lctserve-trainer.jar" train "$@" &
trainer=$!
peak=0
while kill -0 "$trainer" 2>/dev/null; do
  for pid in $(pgrep -f 'io.lctserve.trainer.cli.TrainerCli' || true); do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    if [ -n "$rss" ] && [ "$rss" -gt "$peak" ]; then peak=$rss; fi
  done
  sleep 2
done
wait "$trainer"
echo "peak trainer RSS: ${peak} kB"
