#!/usr/bin/env bash
# Builds the self-contained distribution from the CLI's shaded jar: a Java runtime trimmed by jlink
# to the modules the jar uses (found by jdeps), the jar and a launcher, in one tarball that runs on a
# Linux machine without a JDK. Called by the dist module's build (scripts/dist.sh runs that).
# Usage: jlink-dist.sh JAR VERSION SOURCE_DIR OUTPUT_DIR
set -euo pipefail
jar=$1 version=$2 src=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
name="packetlens-$version-linux-$(uname -m)"
stage="$out/$name"
rm -rf "$stage" "$out/$name.tar.gz"
mkdir -p "$stage/lib" "$stage/bin"
# the modules the jar's classes use, plus those reached only by reflection or service lookup:
# jdk.crypto.ec (TLS to Kafka brokers and collectors), jdk.zipfs, jdk.localedata left out on purpose
modules=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 25 -q "$jar")
modules=$(printf '%s\n' "${modules//,/$'\n'}" jdk.crypto.ec jdk.unsupported | sort -u | paste -sd, -)
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=zip-6 --generate-cds-archive --output "$stage/runtime"
cp "$jar" "$stage/lib/packetlens.jar"
cp "$src/bin/packetlens" "$stage/bin/packetlens"
chmod +x "$stage/bin/packetlens"
root=$(cd "$here/.." && pwd)
mkdir -p "$stage/share"
cp -r "$root/packaging/systemd" "$root/packaging/kubernetes" "$root/packaging/grafana" "$stage/share/"
cp "$root/docs/packetlens.example.yaml" "$stage/share/agent.example.yaml"
cp "$root/README.md" "$stage/README.md"
echo "$modules" > "$stage/runtime/MODULES"
tar -C "$out" -czf "$out/$name.tar.gz" "$name"
echo "dist: $out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1); runtime modules: $modules)"
