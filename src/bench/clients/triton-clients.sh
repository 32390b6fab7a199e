#!/usr/bin/env bash
# Runs Triton's own Python clients, unchanged, against a running lctserve: every call of
# triton_http_check.py (JSON and binary modes, gzip and deflate bodies) and triton_grpc_check.py (unary
# calls, gzip and deflate, and the decoupled stream: start_stream / async_stream_infer with progressive: true).
# Needs Debian's python3-grpcio python3-grpc-tools python3-protobuf python3-numpy python3-rapidjson
# python3-packaging python3-geventhttpclient, and checkouts of triton-inference-server/client (the
# tritonclient package's source) and triton-inference-server/common (its .proto files):
#   bash src/bench/clients/triton-clients.sh CLIENT_CHECKOUT COMMON_CHECKOUT [http host:port] [grpc host:port]
set -euo pipefail
CLIENT="${1:?usage: triton-clients.sh CLIENT_CHECKOUT COMMON_CHECKOUT [http] [grpc]}"
COMMON="${2:?usage: triton-clients.sh CLIENT_CHECKOUT COMMON_CHECKOUT [http] [grpc]}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$CLIENT/src/python/library/tritonclient" "$WORK/"
# the package's build generates these from Triton's .proto files, under these names
/usr/bin/python3 -m grpc_tools.protoc -I"$COMMON/protobuf" --python_out="$WORK/tritonclient/grpc" \
  --grpc_python_out="$WORK/tritonclient/grpc" grpc_service.proto model_config.proto health.proto
sed -i 's/^import model_config_pb2/from tritonclient.grpc import model_config_pb2/; s/^import grpc_service_pb2/from tritonclient.grpc import grpc_service_pb2/' \
  "$WORK"/tritonclient/grpc/*_pb2*.py
echo "from tritonclient.grpc.grpc_service_pb2 import *" > "$WORK/tritonclient/grpc/service_pb2.py"
echo "from tritonclient.grpc.grpc_service_pb2_grpc import *" > "$WORK/tritonclient/grpc/service_pb2_grpc.py"
PYTHONPATH="$WORK" /usr/bin/python3 "$HERE/triton_http_check.py" "${3:-localhost:8080}"
PYTHONPATH="$WORK" /usr/bin/python3 "$HERE/triton_grpc_check.py" "${4:-localhost:8081}" "${3:-localhost:8080}"
