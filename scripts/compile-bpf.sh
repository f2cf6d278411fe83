#!/usr/bin/env bash
# Compiles every *.bpf.c in SRC_DIR into OUT_DIR/<name>.bpf.o with clang -target bpf, with
# SRC_DIR and each INCLUDE_DIR on the include path (the library's packetlens_events.h lives in
# ebpf/src/main/bpf/include, the programs' own headers in programs/src/main/bpf/include).
# Called by Maven (exec-maven-plugin) during the build; clang and the libbpf/kernel UAPI
# headers are build-time tools only (installed by scripts/setup.sh).
set -euo pipefail
usage="usage: compile-bpf.sh SRC_DIR OUT_DIR [INCLUDE_DIR...]"
src=${1:?$usage}
out=${2:?$usage}
shift 2
includes=("$@")
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "compile-bpf: clang not found; run ./scripts/setup.sh (installs clang, libbpf-dev)" >&2
  exit 1
fi
if [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
  echo "compile-bpf: /usr/include/bpf/bpf_helpers.h missing; run ./scripts/setup.sh (installs libbpf-dev)" >&2
  exit 1
fi
for d in ${includes[@]+"${includes[@]}"}; do
  [ -d "$d" ] || { echo "compile-bpf: include directory $d does not exist" >&2; exit 1; }
done
arch_inc=/usr/include/$(uname -m)-linux-gnu
iflags=(-I"$src")
for d in ${includes[@]+"${includes[@]}"}; do iflags+=(-I"$d"); done
mkdir -p "$out"
shopt -s nullglob
for f in "$src"/*.bpf.c; do
  name=$(basename "$f" .c)
  o="$out/$name.o"
  if [ "$o" -nt "$f" ] && [ -z "$(find "$src" ${includes[@]+"${includes[@]}"} -name '*.h' -newer "$o" 2>/dev/null)" ]; then
    continue
  fi
  # a source may ask for extra flags on a first-lines comment: // bpf-cflags: -mcpu=v3
  extra=$(head -n 5 "$f" | sed -n 's|^// bpf-cflags:||p' | head -n 1)
  # shellcheck disable=SC2086
  "$CLANG" -target bpf -O2 -g -Wall -Werror -Wno-unused-function $extra \
    "${iflags[@]}" -I"$arch_inc" \
    -c "$f" -o "$o"
done
