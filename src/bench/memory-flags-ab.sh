#!/usr/bin/env bash
# What the image's memory flags cost in serving: alternating rounds (alternate-servers.sh) of a
# server with the flags the image had before the connection-storm change and one with today's
# (docker/Dockerfile), both as in a 2 GiB container (-XX:MaxRAM=2g).
#
#   src/bench/memory-flags-ab.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE="-XX:+UseContainerSupport -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
NOW=$(sed -n 's/.*JAVA_MEMORY_OPTS="\([^"]*\)".*/\1/p' docker/Dockerfile)
ARENAS=$(sed -n 's/.*MALLOC_ARENA_MAX=\([0-9]*\).*/\1/p' docker/Dockerfile)
exec src/bench/alternate-servers.sh "${1:-3}" \
  "flags before" "JAVA_TOOL_OPTIONS=-XX:MaxRAM=2g $BEFORE" "" \
  "flags now" "JAVA_TOOL_OPTIONS=-XX:MaxRAM=2g $NOW|MALLOC_ARENA_MAX=$ARENAS" ""
