#!/usr/bin/env bash
# Regenerates prefetchd_client/v1/hints_pb2*.py from prefetch-planner/src/main/proto/prefetchd/v1/hints.proto with
# Debian's protoc and grpc_python_plugin (apt-get install protobuf-compiler protobuf-compiler-grpc), or with
# `python3 -m grpc_tools.protoc` when those are missing. The output is checked in: users need only grpcio and
# protobuf. The .proto is copied to prefetchd_client/v1/ first so the generated imports are package-relative
# (`from prefetchd_client.v1 import hints_pb2`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto="$here/../../prefetch-planner/src/main/proto/prefetchd/v1/hints.proto"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/prefetchd_client/v1"
cp "$proto" "$tmp/prefetchd_client/v1/hints.proto"
if command -v protoc >/dev/null && command -v grpc_python_plugin >/dev/null; then
  protoc -I "$tmp" --python_out="$here" --grpc_out="$here" \
    --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" "$tmp/prefetchd_client/v1/hints.proto"
else
  python3 -m grpc_tools.protoc -I "$tmp" --python_out="$here" --grpc_python_out="$here" \
    "$tmp/prefetchd_client/v1/hints.proto"
fi
echo "generated $here/prefetchd_client/v1/hints_pb2.py and hints_pb2_grpc.py"
