package io.packetlens.ops.doctor;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ProgramSpec;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.asm.Insn;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.features.Capabilities;
import io.packetlens.ebpf.features.Features;
import io.packetlens.ebpf.features.KernelFileSystems;
import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.ebpf.features.XdpFeatures;
import io.packetlens.ebpf.info.BpfStats;
import io.packetlens.ebpf.link.XdpInfo;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.tracing.KernelBtf;
import io.packetlens.ebpf.tracing.Tracefs;
import io.packetlens.ebpf.xsk.DeviceQueues;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code packetlens doctor}: what this machine gives packetlens, checked one by one (kernel, BTF, JIT, capabilities,
 * bpffs, tracefs, cgroup v2, memory accounting, run-time statistics) and the kernel features packetlens uses (ring
 * buffer, tcx, AF_XDP, kprobes for reference), then per interface of the calling thread's network namespace native
 * XDP and AF_XDP zero-copy (from the kernel's netdev netlink family, so nothing is attached). Each check says what
 * works, what falls back to what, and how to fix what is missing. Probes that need privileges report that instead
 * of guessing.
 */
public final class Doctor {
    private static final Path JIT = Path.of("/proc/sys/net/core/bpf_jit_enable");
    private static final Path JIT_HARDEN = Path.of("/proc/sys/net/core/bpf_jit_harden");
    private static final Path UNPRIVILEGED = Path.of("/proc/sys/kernel/unprivileged_bpf_disabled");

    private Doctor() {}

    /** Every check; {@code interfaces} limits the per-interface ones (empty: every interface but loopback). */
    public static List<Check> run(List<String> interfaces) {
        List<Check> out = new ArrayList<>();
        out.add(kernel());
        out.add(btf());
        Capabilities caps = Capabilities.current();
        boolean privileged = caps.has(Capabilities.CAP_SYS_ADMIN) || caps.has(Capabilities.CAP_BPF);
        out.add(jit(privileged));
        out.add(capabilities(caps));
        out.add(fileSystem("bpffs", KernelFileSystems.BPF, "pinning (--pin) keeps flow tables across restarts",
                "mount -t bpf bpf /sys/fs/bpf (or add `bpffs /sys/fs/bpf bpf defaults 0 0` to /etc/fstab)"));
        out.add(tracefs());
        out.add(fileSystem("cgroup2", KernelFileSystems.CGROUP2, "cgroup programs attach to cgroup v2 directories",
                "mount -t cgroup2 none /sys/fs/cgroup/unified (or boot with systemd.unified_cgroup_hierarchy=1)"));
        out.add(probe("memory-accounting", privileged, Doctor::memory));
        out.add(stats());
        out.add(probe("ringbuf", privileged, () -> Features.hasMapType(MapType.RINGBUF)
                ? Check.ok("ringbuf", true, "BPF ring buffer (5.8+): events reach Java in order, one shared ring")
                : new Check("ringbuf", Check.Status.FALLBACK, false, "no BPF ring buffer: events go through the perf buffer (one ring per CPU)",
                "a kernel 5.8 or later for the ring buffer")));
        out.add(probe("tcx", privileged, () -> Features.hasTcx()
                ? Check.ok("tcx", true, "tcx (6.6+): TC programs attach as BPF links, ordered, detached when packetlens exits")
                : new Check("tcx", Check.Status.FALLBACK, false, "no tcx: TC programs attach as cls_bpf filters of a clsact qdisc",
                "a kernel 6.6 or later for tcx")));
        out.add(probe("af-xdp", privileged, () -> Features.hasAfXdp()
                ? Check.ok("af-xdp", true, "AF_XDP sockets: capture --mode steal and trafficgen work")
                : new Check("af-xdp", Check.Status.FALLBACK, false, "no AF_XDP sockets: capture works in mirror mode only (ring buffer), no trafficgen",
                "a kernel built with CONFIG_XDP_SOCKETS=y")));
        out.add(Features.hasKprobes()
                ? new Check("kprobes", Check.Status.INFO, true, "kprobes available (packetlens does not need them)", null)
                : new Check("kprobes", Check.Status.INFO, false,
                "kprobes absent (no kprobe perf PMU: CONFIG_KPROBES off); packetlens uses tracepoints and raw tracepoints instead", null));
        out.addAll(interfaces(interfaces));
        return out;
    }

    private static Check probe(String name, boolean privileged, Supplier<Check> check) {
        if (!privileged) {
            return new Check(name, Check.Status.WARN, null, "not probed: loading a probe program needs CAP_BPF or CAP_SYS_ADMIN",
                    "run packetlens doctor as root");
        }
        try {
            return check.get();
        } catch (BpfException e) {
            return new Check(name, Check.Status.WARN, null, "probe failed: " + e.getMessage(), "run packetlens doctor as root");
        }
    }

    static Check kernel() {
        KernelVersion v = KernelVersion.current();
        String arch = System.getProperty("os.arch");
        if (!v.atLeast(5, 8)) {
            return new Check("kernel", Check.Status.MISSING, null, v + " (" + arch + "): older than 5.8, which packetlens needs (ring buffer, CAP_BPF, BTF maps)",
                    "upgrade to Linux 5.15 or later (6.6+ for tcx)");
        }
        if (!v.atLeast(5, 9)) {
            return new Check("kernel", Check.Status.FALLBACK, null, v + " (" + arch + "): no XDP links before 5.9, XDP attaches through netlink",
                    "Linux 5.9+ for XDP links (6.6+ for tcx)");
        }
        return Check.ok("kernel", null, v + " (" + arch + ")" + (v.atLeast(6, 6) ? "" : ": before 6.6, TC hooks use clsact (see tcx)"));
    }

    static Check btf() {
        if (KernelBtf.available()) {
            long size = 0;
            try {
                size = Files.size(KernelBtf.VMLINUX);
            } catch (IOException ignored) {
                // readable but not sized: still there
            }
            return Check.ok("btf", true, KernelBtf.VMLINUX + " (" + size / 1024 + " KiB): kernel types for tracing programs and verifier logs");
        }
        return new Check("btf", Check.Status.WARN, false, "no kernel BTF at " + KernelBtf.VMLINUX
                + ": tracepoint programs cannot read kernel structures by name; verifier logs still name C lines",
                "a kernel built with CONFIG_DEBUG_INFO_BTF=y (every major distribution's since 2021)");
    }

    /**
     * The JIT: net.core.bpf_jit_enable where this network namespace shows it (only the initial one does), and in any
     * case whether a probe program actually came out JIT-compiled ({@code jited_prog_len} of its info).
     */
    static Check jit(boolean privileged) {
        Optional<String> v = read(JIT);
        String harden = read(JIT_HARDEN).orElse("0");
        String hardened = harden.equals("0") ? "" : ", constant blinding on (bpf_jit_harden=" + harden + ": a little slower)";
        Boolean jited = null;
        if (privileged) {
            try (BpfProgram p = BpfProgram.load(ProgramSpec.of("pl_jit_probe", ProgramType.SOCKET_FILTER, "GPL",
                    Insn.program(Insn.movImm(0, 0), Insn.exit())))) {
                jited = p.info().jited();
            } catch (BpfException e) {
                jited = null;
            }
        }
        String sysctl = v.map(x -> "bpf_jit_enable=" + x).orElse("bpf_jit_enable not visible in this network namespace");
        if (Boolean.FALSE.equals(jited) || v.filter(x -> x.equals("0")).isPresent()) {
            return new Check("jit", Check.Status.WARN, false, "BPF JIT off (" + sysctl + "): programs run in the interpreter, several times slower",
                    "sysctl -w net.core.bpf_jit_enable=1 (in the initial network namespace)");
        }
        if (jited == null && v.isEmpty()) {
            return new Check("jit", Check.Status.WARN, null, "not probed (" + sysctl + "; loading a probe program needs CAP_BPF)", "run packetlens doctor as root");
        }
        if (v.filter(x -> x.equals("2")).isPresent()) {
            return new Check("jit", Check.Status.WARN, true, "BPF JIT on with debug output (" + sysctl + ")" + hardened,
                    "sysctl -w net.core.bpf_jit_enable=1");
        }
        return Check.ok("jit", true, "BPF JIT on (" + (jited != null ? "a probe program was JIT-compiled; " : "") + sysctl + ")" + hardened);
    }

    static Check capabilities(Capabilities caps) {
        List<String> have = new ArrayList<>();
        for (int c : new int[] {Capabilities.CAP_BPF, Capabilities.CAP_NET_ADMIN, Capabilities.CAP_PERFMON, Capabilities.CAP_SYS_ADMIN}) {
            if (caps.has(c)) have.add(Capabilities.name(c));
        }
        String unpriv = read(UNPRIVILEGED).map(u -> ", unprivileged_bpf_disabled=" + u).orElse("");
        String detail = "effective: " + (have.isEmpty() ? "none of CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, CAP_SYS_ADMIN" : String.join(", ", have))
                + String.format(" (CapEff %016x)", caps.effective()) + unpriv;
        boolean bpf = caps.has(Capabilities.CAP_BPF) || caps.has(Capabilities.CAP_SYS_ADMIN);
        boolean net = caps.has(Capabilities.CAP_NET_ADMIN);
        boolean perf = caps.has(Capabilities.CAP_PERFMON) || caps.has(Capabilities.CAP_SYS_ADMIN);
        String fix = "run as root, or grant the capabilities: setcap cap_bpf,cap_net_admin,cap_perfmon,cap_sys_admin+ep on the java binary, "
                + "or AmbientCapabilities=CAP_BPF CAP_NET_ADMIN CAP_PERFMON CAP_SYS_ADMIN in the systemd unit";
        if (!bpf || !net) {
            if (caps.has(Capabilities.CAP_NET_RAW)) {
                // what the AF_PACKET fallback needs: flows and capture still work, counted in user space
                return new Check("capabilities", Check.Status.FALLBACK, false, detail + ", CAP_NET_RAW: cannot load or attach packet programs; "
                        + "flows, the agent's flows and capture fall back to AF_PACKET rings read in Java (docs/FALLBACK.md: more CPU per "
                        + "packet, no kernel events, no pinning); guard and trafficgen need the capabilities", fix);
            }
            return new Check("capabilities", Check.Status.MISSING, false, detail + ": cannot load or attach packet programs"
                    + " (and without CAP_NET_RAW no AF_PACKET fallback either)", fix);
        }
        if (!caps.has(Capabilities.CAP_SYS_ADMIN) || !perf) {
            return new Check("capabilities", Check.Status.WARN, true, detail
                    + ": packet programs work; inspect/top (all objects, BPF_ENABLE_STATS), lab namespaces and tracing need CAP_SYS_ADMIN/CAP_PERFMON", fix);
        }
        return Check.ok("capabilities", true, detail);
    }

    static Check fileSystem(String name, KernelFileSystems fs, String why, String fix) {
        if (fs.isAt(fs.standardPath())) return Check.ok(name, true, fs.type() + " at " + fs.standardPath());
        List<Path> elsewhere = fs.mountPoints();
        if (!elsewhere.isEmpty()) return Check.ok(name, true, fs.type() + " at " + elsewhere.getFirst() + " (not at " + fs.standardPath() + ")");
        return new Check(name, Check.Status.WARN, false, "no " + fs.type() + " mounted: " + why, fix);
    }

    static Check tracefs() {
        Optional<Path> t = Tracefs.find();
        if (t.isPresent()) return Check.ok("tracefs", true, "tracefs at " + t.get());
        return new Check("tracefs", Check.Status.FALLBACK, false,
                "tracefs not mounted: packetlens mounts it at " + Tracefs.STANDARD + " when a tracepoint program needs it (root)",
                "mount -t tracefs nodev " + Tracefs.STANDARD);
    }

    static Check memory() {
        String limit = memlockLimit();
        if (Features.hasMemcgAccounting()) {
            return Check.ok("memory-accounting", true, "BPF memory is charged to the memory cgroup (5.11+); RLIMIT_MEMLOCK (" + limit + ") does not limit maps");
        }
        boolean small = !limit.equals("unlimited") && parseBytes(limit) < (64L << 20);
        return new Check("memory-accounting", small ? Check.Status.WARN : Check.Status.OK, false,
                "BPF memory is charged to RLIMIT_MEMLOCK (" + limit + ")" + (small ? ": large flow tables will fail with EPERM" : ""),
                small ? "raise the limit: ulimit -l unlimited, or LimitMEMLOCK=infinity in the systemd unit" : null);
    }

    static Check stats() {
        boolean on = BpfStats.sysctlEnabled();
        return new Check("bpf-stats", Check.Status.INFO, on, on ? "kernel.bpf_stats_enabled=1: every program's run time is being counted (a few ns per run)"
                : "run-time statistics off (kernel.bpf_stats_enabled=0); packetlens top turns them on while it runs", null);
    }

    /** Per interface: native XDP and AF_XDP zero-copy, from the netdev netlink family. */
    static List<Check> interfaces(List<String> only) {
        List<Check> out = new ArrayList<>();
        List<XdpInfo> links;
        try {
            links = XdpLink.queryAllInterfaces();
        } catch (BpfException e) {
            out.add(new Check("interfaces", Check.Status.WARN, null, "interfaces not listed: " + e.getMessage(), "run as root"));
            return out;
        }
        Optional<List<XdpFeatures>> features;
        try {
            features = XdpFeatures.all();
        } catch (BpfException e) {
            features = Optional.empty();
        }
        for (String want : only) {
            if (links.stream().noneMatch(l -> l.ifname().equals(want))) {
                out.add(new Check("interface:" + want, Check.Status.MISSING, false, "no interface " + want + " in this network namespace",
                        "see `ip link show`"));
            }
        }
        for (XdpInfo l : links) {
            if (only.isEmpty() ? l.ifname().equals("lo") : !only.contains(l.ifname())) continue;
            String queues = DeviceQueues.of(l.ifname()).map(c -> ", " + c.rx() + " rx / " + c.tx() + " tx queues").orElse("");
            if (features.isEmpty()) {
                out.add(new Check("xdp-native:" + l.ifname(), Check.Status.INFO, null, l.ifname() + ": the kernel has no netdev netlink family (6.3+), so "
                        + "native XDP is not known until tried: --mode auto tries driver mode and falls back to generic" + queues, null));
                out.add(new Check("xsk-zerocopy:" + l.ifname(), Check.Status.INFO, null, l.ifname()
                        + ": AF_XDP zero-copy not known until tried: --bind auto falls back to copy mode", null));
                continue;
            }
            XdpFeatures f = features.get().stream().filter(x -> x.ifindex() == l.ifindex()).findFirst()
                    .orElse(new XdpFeatures(l.ifindex(), 0, 0));
            String flags = f.names().isEmpty() ? "no XDP features" : "xdp-features " + String.join(",", f.names());
            out.add(f.nativeXdp()
                    ? Check.ok("xdp-native:" + l.ifname(), true, l.ifname() + ": native (driver) XDP (" + flags + queues + ")")
                    : new Check("xdp-native:" + l.ifname(), Check.Status.FALLBACK, false, l.ifname() + ": no native XDP in its driver (" + flags
                    + "): --mode auto uses generic (skb) XDP, which works everywhere but runs after the kernel allocated the packet",
                    "a driver with XDP support for full speed (most 10G+ NICs: ixgbe, i40e, ice, mlx5, bnxt, virtio_net ...)"));
            out.add(f.zeroCopy()
                    ? Check.ok("xsk-zerocopy:" + l.ifname(), true, l.ifname() + ": AF_XDP zero-copy"
                    + (f.zeroCopyMaxSegments() > 0 ? " (up to " + f.zeroCopyMaxSegments() + " fragments)" : ""))
                    : new Check("xsk-zerocopy:" + l.ifname(), Check.Status.FALLBACK, false, l.ifname()
                    + ": no AF_XDP zero-copy: capture --mode steal and trafficgen use copy mode (one copy per frame)",
                    "a NIC driver with AF_XDP zero-copy (i40e, ice, mlx5, ixgbe, igc, stmmac ...) for the fastest capture"));
        }
        return out;
    }

    private static String memlockLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max locked memory")) {
                    String soft = line.substring("Max locked memory".length()).strip().split("\\s+")[0];
                    return soft.equals("unlimited") ? soft : human(Long.parseLong(soft));
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // unknown
        }
        return "unknown";
    }

    private static String human(long bytes) {
        return bytes % (1L << 20) == 0 ? bytes / (1L << 20) + " MiB" : bytes / 1024 + " KiB";
    }

    private static long parseBytes(String human) {
        String[] p = human.split(" ");
        if (p.length != 2) return Long.MAX_VALUE;
        long n = Long.parseLong(p[0]);
        return p[1].equals("MiB") ? n << 20 : n << 10;
    }

    private static Optional<String> read(Path p) {
        try {
            return Optional.of(Files.readString(p).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
