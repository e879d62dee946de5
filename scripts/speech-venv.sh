#!/bin/sh
# The Python packages behind kioskd's speech readings, in their own venv (.build/speech-venv):
# pypinyin, whose dictionaries make speech-readings reads, and g2pM, the independent reading
# Tests/Speech/speech_test.py compares kioskd's with. Prints the venv's python.
set -eu
cd "$(dirname "$0")/.."
venv=.build/speech-venv
if ! "$venv/bin/python" -c "import pypinyin, g2pM, numpy" 2>/dev/null; then
  /usr/bin/python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "pypinyin==0.55.0" "g2pM==0.1.2.5" "numpy==2.2.6" >&2
fi
echo "$venv/bin/python"
