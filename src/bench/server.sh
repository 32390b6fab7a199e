# Sourced by the benchmark scripts: start_server PORT LOG [server arguments...] starts the server jar
# in the background (its pid in SERVER) and returns once it is ready, or prints its log and fails.
# SERVER_CPUS=1 pins it to those CPUs (taskset), leaving the others to a load generator; SERVER_JAR
# serves another build (compare-builds.sh builds them); SERVER_JAVA_OPTS are the server JVM's options.
start_server() {
  local port="$1" log="$2"
  shift 2
  ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} java ${SERVER_JAVA_OPTS:-} -jar "${SERVER_JAR:-src/server/target/lctserve-server.jar}" --server.port="$port" "$@" > "$log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 120); do
    curl -sf "localhost:$port/v2/health/ready" > /dev/null && return 0
    sleep 0.5
  done
  cat "$log"
  return 1
}

# build_commit COMMIT DIR: a git worktree of COMMIT at DIR with its server jar built, for SERVER_JAR
# (the caller removes it: git worktree remove --force DIR).
build_commit() {
  git worktree add -q "$2" "$1"
  (cd "$2" && ./mvnw -B -q -DskipTests -Dspotless.check.skip=true -pl src/server -am package)
}
