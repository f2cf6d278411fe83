#!/usr/bin/env bash
# The whole test suite: setup, build (kernel programs with clang, Java with Maven), and every
# test, kernel tests included (they load programs into this kernel and send traffic through
# network namespaces, so this needs root).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
. "$here/scripts/env.sh"
if [ "$(id -u)" != 0 ]; then
  echo "test: not root: kernel tests will be skipped (they fail under CI=true). Run: sudo ./scripts/test.sh" >&2
fi
cd "$here"
exec mvn -B -ntp verify "$@"
