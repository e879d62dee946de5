#!/bin/sh
# schemathesis against the platform simulator with docs/platform-api.yaml: a
# request valid by the document is one the platform accepts, one it refuses is
# invalid by the document (Tests/Contract/schemathesis.toml says what a schema
# cannot). Needs scripts/contract-venv.sh and a built hardware-sim.
set -eu
cd "$(dirname "$0")/../.."
dir=$(mktemp -d /tmp/kioskd-schemathesis-XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.build/debug/hardware-sim platform --listen "127.0.0.1:$port" --dir "$dir/platform" --key "$dir/key.pem" --public-key-out "$dir/public.pem" > "$dir/platform.log" 2>&1 &
platform=$!
trap 'kill "$platform" 2>/dev/null' EXIT
tries=0
until [ -s "$dir/public.pem" ] || [ "$tries" -ge 100 ]; do sleep 0.1; tries=$((tries + 1)); done
cd "$dir"
"$OLDPWD/.build/contract-venv/bin/schemathesis" --config-file "$OLDPWD/Tests/Contract/schemathesis.toml" \
  run "$OLDPWD/docs/platform-api.yaml" --url "http://127.0.0.1:$port" --seed 1
