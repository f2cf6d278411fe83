#!/usr/bin/env bash
# Compiles every *.bpf.c in SRC_DIR into OUT_DIR/<name>.bpf.o with clang -target bpf.
# Called by Maven (exec-maven-plugin) during the build; clang and the libbpf/kernel UAPI
# headers are build-time tools only (installed by scripts/setup.sh).
set -euo pipefail
src=${1:?usage: compile-bpf.sh SRC_DIR OUT_DIR}
out=${2:?usage: compile-bpf.sh SRC_DIR OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "compile-bpf: clang not found; run ./scripts/setup.sh (installs clang, libbpf-dev)" >&2
  exit 1
fi
if [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
  echo "compile-bpf: /usr/include/bpf/bpf_helpers.h missing; run ./scripts/setup.sh (installs libbpf-dev)" >&2
  exit 1
fi
arch_inc=/usr/include/$(uname -m)-linux-gnu
mkdir -p "$out"
shopt -s nullglob
for f in "$src"/*.bpf.c; do
  name=$(basename "$f" .c)
  o="$out/$name.o"
  if [ "$o" -nt "$f" ] && [ -z "$(find "$src" "$here/../programs/src/main/bpf/include" -name '*.h' -newer "$o" 2>/dev/null)" ]; then
    continue
  fi
  # a source may ask for extra flags on a first-lines comment: // bpf-cflags: -mcpu=v3
  extra=$(head -n 5 "$f" | sed -n 's|^// bpf-cflags:||p' | head -n 1)
  # shellcheck disable=SC2086
  "$CLANG" -target bpf -O2 -g -Wall -Werror -Wno-unused-function $extra \
    -I"$src" -I"$here/../programs/src/main/bpf/include" -I"$arch_inc" \
    -c "$f" -o "$o"
done
