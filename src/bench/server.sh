# Sourced by the benchmark scripts: start_server PORT LOG [server arguments...] starts the server jar
# in the background (its pid in SERVER) and returns once it is ready, or prints its log and fails.
# SERVER_CPUS=1 pins it to those CPUs (taskset), leaving the others to a load generator; SERVER_JAR
# serves another build (build_commit builds one); SERVER_JAVA_OPTS are the server JVM's options. h2load_calls
# (below) is the gRPC load the one-core scripts put on it.
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

# h2load_calls CALL PORT [h2load options...]: h2load sends the gRPC ModelInfer call in file CALL
# (lctserve-bench wrk-bodies --grpc) to localhost:PORT again and again, its options deciding how many
# and how fast; H2LOAD_CPUS=0 pins it (taskset). Options may add headers, e.g. -H 'grpc-timeout: 5S'.
h2load_calls() {
  local call="$1" port="$2"
  shift 2
  ${H2LOAD_CPUS:+taskset -c "$H2LOAD_CPUS"} h2load -d "$call" -H 'content-type: application/grpc' -H 'te: trailers' \
    "$@" "http://localhost:$port/inference.GRPCInferenceService/ModelInfer"
}
