#!/usr/bin/env bash
# The self-contained distribution, in one command: builds everything (tests skipped) and writes
# dist/target/packetlens-<version>-linux-<arch>.tar.gz: a jlink Java runtime, the jar and a launcher.
# Unpack it anywhere and run bin/packetlens; no JDK needed on that machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh" --quiet
. "$here/scripts/env.sh"
cd "$here"
mvn -B -ntp -q -DskipTests package -pl dist -am
ls -1 "$here"/dist/target/packetlens-*.tar.gz
