#!/bin/sh
# The contract tests' Python (Tests/Contract): schemathesis and openapi-core from
# PyPI in a virtualenv of Debian's python3 under .build (not in git), made once.
set -eu
cd "$(dirname "$0")/.."
venv=.build/contract-venv
if ! "$venv/bin/python" -c "import schemathesis, openapi_core" 2>/dev/null; then
  mkdir -p .build
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5" "openapi-core==0.23.1"
fi
