#!/bin/sh
# Starts the lctserve server from an extracted Spring Boot jar ($APP_DIR/lctserve-server.jar with
# its lib/ beside it). The image runs this script; so does the test that starts the extracted jar.
# Extra arguments are passed to the server, e.g. --server.port=9090.
set -eu
APP_DIR="${APP_DIR:-/app}"
JAR="$APP_DIR/lctserve-server.jar"
if [ ! -f "$JAR" ]; then
  echo "entrypoint: $JAR not found (set APP_DIR to the extracted server)" >&2
  exit 1
fi
# exec: the JVM replaces this shell, so it runs as PID 1 and receives SIGTERM for graceful shutdown.
# shellcheck disable=SC2086
exec java ${JAVA_MEMORY_OPTS:-} ${JAVA_OPTS:-} -jar "$JAR" "$@"
