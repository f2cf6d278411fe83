#!/usr/bin/env bash
# The kernel-portability check: runs the kernel tests that exercise packetlens's fallbacks under
# Debian 12's stock 6.1 kernel, in a qemu VM (vm-kernel61.sh) that sees this machine's root file
# system read-only through 9p. qemu emulates (TCG, 10-50x slower), so this is not part of
# `mvn verify` or CI; run it by hand after changing anything kernel-version dependent. See
# docs/KERNELS.md for what it checks and the latest results.
#
# Usage (as root): scripts/test-kernel61.sh [--no-build] [--all | TestClass...]
#   TestClass   a class of the ebpf module relative to io.packetlens.ebpf (LoaderTest, link.TcLinkTest)
#               or fully qualified; programs:Name for io.packetlens.programs.Name.
#   (none)      the focused set below (about 3-4 minutes)
#   --all       every test class of the ebpf and programs modules (5-10 minutes)
#   --no-build  accepted and ignored: the class-path step compiles only what changed in any case
# Env: VM_KERNEL61 (default /work/shared/tools/vm-kernel61.sh), VM_MEM (MB, default 4096),
#      VM_TIMEOUT (s, default 3000).
# The build runs on the host (Maven, clang); the VM only runs java with the JUnit console launcher
# on a class path computed here (third-party jars from ~/.m2, packetlens's modules from their target
# directories), so nothing is downloaded inside it. Exit status 0 only
# if every selected test passed (none may be skipped for want of root: CI=true inside).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/env.sh"
vm=${VM_KERNEL61:-/work/shared/tools/vm-kernel61.sh}
[ -x "$vm" ] || { echo "test-kernel61: VM script not found: $vm (set VM_KERNEL61)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "test-kernel61: needs root (qemu set-up, and the tests run as root in the VM)" >&2; exit 2; }

build=1; all=0; classes=()
for a in "$@"; do
  case $a in
    --no-build) build=0 ;;
    --all) all=1 ;;
    -*) echo "test-kernel61: unknown option $a" >&2; exit 2 ;;
    *) classes+=("$a") ;;
  esac
done
if [ $all = 0 ] && [ ${#classes[@]} -eq 0 ]; then
  classes=(LoaderTest MapTypesTest MapBatchTest FeaturesTest
           link.XdpLinkTest link.TcLinkTest link.SocketFilterTest link.CgroupLinkTest link.TracepointLinkTest
           ringbuf.RingBufReaderTest ringbuf.RingBufConsumeTest perf.PerfBufferReaderTest events.EventSourceTest
           programs:PacketCounterTest)
fi

junit=1.14.1   # the JUnit Platform version of the project's JUnit 5.14.1
console=$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$junit/junit-platform-console-standalone-$junit.jar
cd "$here"
[ -f "$console" ] || mvn -q -B dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# One reactor run compiles the modules the VM tests need and writes their class paths: inside the
# reactor, packetlens's own modules resolve to their target directories, so nothing has to be
# installed into ~/.m2 first (a separate dependency:build-classpath run would look for them there).
mvn -q -B -pl ebpf,programs -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$tmp/\${project.artifactId}.cp"
# The console launcher brings its own JUnit; keep the tests' other dependencies (AssertJ, Jackson)
# and packetlens's modules as the reactor gave them (this worktree's target directories), never a
# packetlens jar that may sit in ~/.m2 from another checkout.
deps() { tr ':' '\n' < "$tmp/$1.cp" | grep -v -e '/org/junit/' -e '/org/opentest4j/' -e '/org/apiguardian/' -e '/\.m2/repository/io/packetlens/' | paste -sd: ; }
cp_ebpf="$here/ebpf/target/test-classes:$here/ebpf/target/classes:$(deps packetlens-ebpf)"
cp_programs="$here/programs/target/test-classes:$here/programs/target/classes:$(deps packetlens-programs)"

sel_ebpf=(); sel_programs=()
if [ $all = 1 ]; then
  sel_ebpf=("--scan-class-path=$here/ebpf/target/test-classes")
  sel_programs=("--scan-class-path=$here/programs/target/test-classes")
fi
for c in "${classes[@]}"; do
  case $c in
    programs:io.*) sel_programs+=("--select-class=${c#programs:}") ;;
    programs:*) sel_programs+=("--select-class=io.packetlens.programs.${c#programs:}") ;;
    io.packetlens.programs.*) sel_programs+=("--select-class=$c") ;;
    io.*) sel_ebpf+=("--select-class=$c") ;;
    *) sel_ebpf+=("--select-class=io.packetlens.ebpf.$c") ;;
  esac
done

# One launcher run per module (each has its own class path); same paths inside the VM. The tests
# are on the JVM's own class path (not --class-path), so child JVMs started with java.class.path
# (LinkLifetimeTest) find them too.
run() { # module, class path, selectors...
  local module=$1 cp=$2; shift 2
  printf 'launch %q %q --enable-native-access=ALL-UNNAMED -XX:ErrorFile=/run/hs_err_%%p.log -cp %q org.junit.platform.console.ConsoleLauncher execute --disable-banner --disable-ansi-colors --details=tree --details-theme=ascii' \
    "$module" "$JAVA_HOME/bin/java" "$console:$cp"
  printf ' %q' "$@"
  printf '\n'
}
# Inside the VM: under qemu's emulation the JVM has occasionally died with SIGSEGV in JIT-compiled
# code (docs/KERNELS.md, "Known issues"); such a run (exit 134 with an hs_err file; a test failure
# exits 1) is reported with its hs_err head and run once more. A crashed run prints no test tree.
cmd=$(cat <<'EOF_VM'
echo "== kernel $(uname -r)"
launch() {
  local module=$1; shift
  CI=true PACKETLENS_TEST=1 "$@"; local rc=$?
  if [ $rc = 134 ] && ls /run/hs_err_*.log >/dev/null 2>&1; then
    echo "== jvm crash in $module; hs_err head:"; head -60 /run/hs_err_*.log; rm -f /run/hs_err_*.log
    echo "== $module: running it once more"
    CI=true PACKETLENS_TEST=1 "$@"; rc=$?
  fi
  if ls /run/hs_err_*.log >/dev/null 2>&1; then echo "== jvm crash in $module; hs_err head:"; head -60 /run/hs_err_*.log; rm -f /run/hs_err_*.log; fi
  echo "== junit exit $rc"
}
EOF_VM
)$'\n'"cd $(printf %q "$here")"$'\n'
expected=0
if [ ${#sel_ebpf[@]} -gt 0 ]; then cmd+=$(run ebpf "$cp_ebpf" "${sel_ebpf[@]}")$'\n'; expected=$((expected + 1)); fi
if [ ${#sel_programs[@]} -gt 0 ]; then cmd+=$(run programs "$cp_programs" "${sel_programs[@]}")$'\n'; expected=$((expected + 1)); fi
echo "test-kernel61: running $([ $all = 1 ] && echo 'all kernel test classes' || echo "${#classes[@]} test classes") under the 6.1 kernel in qemu (minutes)" >&2
out=$("$vm" -m "${VM_MEM:-4096}" -t "${VM_TIMEOUT:-3000}" -- "$cmd" 2>&1) || true
printf '%s\n' "$out"

# Per-class counts from the launcher's tree: a class is a node right under "JUnit Jupiter",
# a test any deeper node without children (a parameterized test's invocations count one by one).
echo; echo "== per class:"
awk '
function depth(s) { return index(s, "--") }
function flush() {
  if (prev == "" || cls == "") return
  d = depth(prev)
  if (d > 4 && !(cur != "" && depth(cur) > d)) {
    if (prev ~ /\[OK\]/) ok[cls]++; else if (prev ~ /\[X\]/) bad[cls]++; else if (prev ~ /\[[SA]\]/) skip[cls]++
  }
}
/^[|'"'"' ]*[+'"'"']-- / {
  cur = $0; flush()
  if (depth($0) == 4) {
    cls = $0; sub(/^[|'"'"' ]*[+'"'"']-- /, "", cls); sub(/ \[.*/, "", cls); sub(/ [0-9]+ ms$/, "", cls); order[++n] = cls
    if ($0 ~ /\[X\]/) { why = $0; sub(/.*\[X\] */, "", why); classfail[cls] = why }
  }
  else if (depth($0) < 4) cls = ""
  prev = $0; next
}
END {
  cur = ""; flush()
  for (i = 1; i <= n; i++) {
    c = order[i]; printf "%-26s pass %3d  fail %3d  skipped %3d", c, ok[c], bad[c], skip[c]
    if (c in classfail) printf "  CLASS FAILED: %s", classfail[c]
    printf "\n"
  }
}
' <<<"$out"
kernel=$(sed -n 's/^== kernel //p' <<<"$out")
runs=$(grep -c '^== junit exit' <<<"$out" || true)
ok=$(grep -c '^== junit exit 0$' <<<"$out" || true)
crashes=$(grep -c '^== jvm crash in' <<<"$out" || true)
[ "$crashes" = 0 ] || echo "test-kernel61: the JVM crashed $crashes time(s) inside the VM (hs_err above); crashed runs were repeated once"
if [ "$runs" = "$expected" ] && [ "$ok" = "$expected" ]; then
  echo "test-kernel61: all passed on ${kernel:-?}"
else
  echo "test-kernel61: FAILED on ${kernel:-?} ($ok of $expected launcher runs passed, $runs finished)"; exit 1
fi
