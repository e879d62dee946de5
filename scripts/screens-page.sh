#!/bin/sh
# Writes docs/screens.md from the screenshots `make screens` took (docs/screens/*.png).
set -eu
cd "$(dirname "$0")/.."
echo "# The touchscreen, screen by screen"
echo
echo "Taken at 1080×1920 by the browser tests (\`make screens\`, which runs"
echo "Tests/UI/visit_test.py with SCREENSHOTS=docs/screens) against the demo: a"
echo "visit, the same visit in elderly mode (长辈模式), an agent's proxy visit and"
echo "the idle timeout. Each screen was measured as it was taken: touch targets,"
echo "text contrast, and in elderly mode text size and line spacing."
echo
for shot in docs/screens/*.png; do
  name=$(basename "$shot" .png)
  echo "## $name"
  echo
  echo "![$name](screens/$name.png)"
  echo
done
