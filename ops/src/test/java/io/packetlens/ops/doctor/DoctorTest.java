package io.packetlens.ops.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.MapSpec;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.TcOptions;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.ebpf.xsk.Umem;
import io.packetlens.ebpf.xsk.UmemConfig;
import io.packetlens.ebpf.xsk.XskConfig;
import io.packetlens.ebpf.xsk.XskSocket;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.ops.Bpftool;
import io.packetlens.ops.OpsLab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * doctor's report on this machine against what the machine does when asked directly: tcx attaches, the ring buffer
 * is created, native XDP attaches on veth and AF_XDP zero-copy does not, a map larger than RLIMIT_MEMLOCK is
 * created (memcg accounting), kprobes are off in the kernel's own configuration.
 */
@KernelTest
class DoctorTest {

    private static Map<String, Check> byName(List<Check> checks) {
        return checks.stream().collect(Collectors.toMap(Check::name, c -> c, (a, b) -> a, java.util.LinkedHashMap::new));
    }

    @Test
    void theReportMatchesWhatTheMachineDoes() throws Exception {
        try (Lab lab = Lab.create(); BpfObject obj = OpsLab.spec().load()) {
            Host b = lab.b();
            List<Check> checks = b.call(() -> Doctor.run(List.of()));
            Map<String, Check> c = byName(checks);
            String veth = b.ifname();

            // tcx: the report says present, and a tcx link attaches
            assertThat(c.get("tcx").available()).isTrue();
            try (TcLink l = b.call(() -> TcLink.attach(obj.program("ops_tc_in"), veth, TcDirection.INGRESS, TcOptions.defaults().via(TcOptions.Via.TCX)))) {
                assertThat(l.via()).isEqualTo(TcOptions.Via.TCX);
            }
            // ring buffer: present, and one is created
            assertThat(c.get("ringbuf").available()).isTrue();
            try (BpfMap ring = BpfMap.create(MapSpec.of("pl_ops_rb", MapType.RINGBUF, 0, 0, 4096))) {
                assertThat(ring.type()).isEqualTo(MapType.RINGBUF);
            }
            // native XDP on veth: yes, and driver mode attaches
            Check nativeXdp = c.get("xdp-native:" + veth);
            assertThat(nativeXdp).as(DoctorReport.text(checks)).isNotNull();
            assertThat(nativeXdp.available()).isTrue();
            assertThat(nativeXdp.status()).isEqualTo(Check.Status.OK);
            try (XdpLink x = b.call(() -> XdpLink.attach(obj.program("ops_xdp"), veth, XdpMode.DRIVER))) {
                assertThat(x.mode()).isEqualTo(XdpMode.DRIVER);
            }
            // AF_XDP zero-copy on veth: no (copy mode is the fallback), and a zero-copy bind is refused
            Check zc = c.get("xsk-zerocopy:" + veth);
            assertThat(zc.available()).isFalse();
            assertThat(zc.status()).isEqualTo(Check.Status.FALLBACK);
            assertThat(zc.fix()).isNotBlank();
            assertThatThrownBy(() -> b.call(() -> {
                try (Umem umem = Umem.create(UmemConfig.defaults().frameCount(64));
                     XskSocket s = XskSocket.open(umem, veth, 0, XskConfig.defaults().bindMode(BindMode.ZEROCOPY))) {
                    return s;
                }
            })).isInstanceOf(RuntimeException.class);
            // kprobes: absent, as the kernel's configuration says
            assertThat(c.get("kprobes").available()).isEqualTo(kernelConfig("CONFIG_KPROBES").equals("y"));
            // memory accounting: memcg, so a map beyond RLIMIT_MEMLOCK is created
            long memlock = memlockLimit();
            if (c.get("memory-accounting").available() && memlock > 0) {
                try (BpfMap big = BpfMap.create(MapSpec.of("pl_ops_big", MapType.ARRAY, 4, 4096, (int) (2 * memlock / 4096)))) {
                    assertThat((long) big.maxEntries() * 4096).isGreaterThan(memlock);
                }
            }
            // file systems and JIT as the machine has them
            assertThat(c.get("btf").available()).isEqualTo(Files.isReadable(Path.of("/sys/kernel/btf/vmlinux")));
            // the sysctl lives in the initial network namespace only; a program loaded here says whether it was compiled
            assertThat(c.get("jit").available()).isEqualTo(Files.readString(Path.of("/proc/sys/net/core/bpf_jit_enable")).strip().equals("1"))
                    .isEqualTo(obj.program("ops_xdp").info().jited());
            assertThat(c.get("tracefs").available()).isEqualTo(mounted("tracefs"));
            assertThat(c.get("cgroup2").available()).isEqualTo(mounted("cgroup2"));
            assertThat(c.get("bpffs").available()).isEqualTo(mountedAt("bpf", "/sys/fs/bpf") || mounted("bpf"));
            assertThat(c.get("capabilities").status()).isEqualTo(Check.Status.OK); // the tests run as root
            assertThat(c.get("kernel").detail()).startsWith(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
            // every check that is not OK says how to fix it
            for (Check x : checks) {
                if (x.status() == Check.Status.FALLBACK || x.status() == Check.Status.MISSING || x.status() == Check.Status.WARN) {
                    assertThat(x.fix()).as(x.name()).isNotBlank();
                }
            }
            JsonNode json = Bpftool.JSON.readTree(DoctorReport.json(checks));
            assertThat(json.get("checks")).hasSize(checks.size());
            String text = DoctorReport.text(checks);
            assertThat(text).contains("xsk-zerocopy:" + veth).contains("fix: ");
        }
    }

    @Test
    void anUnknownInterfaceIsMissingWithAHint() throws Exception {
        try (Lab lab = Lab.create()) {
            List<Check> checks = lab.b().call(() -> Doctor.run(List.of("nosuch0")));
            Check c = byName(checks).get("interface:nosuch0");
            assertThat(c.status()).isEqualTo(Check.Status.MISSING);
            assertThat(DoctorReport.anyMissing(checks)).isTrue();
        }
    }

    /** A CONFIG_ value from /proc/config.gz ("y", "m", or "n" for "is not set"). */
    private static String kernelConfig(String name) throws IOException {
        try (var in = new GZIPInputStream(Files.newInputStream(Path.of("/proc/config.gz")))) {
            for (String line : new String(in.readAllBytes()).split("\n")) {
                if (line.startsWith(name + "=")) return line.substring(name.length() + 1);
                if (line.equals("# " + name + " is not set")) return "n";
            }
        }
        return "n";
    }

    private static long memlockLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max locked memory")) {
                String soft = line.substring("Max locked memory".length()).strip().split("\\s+")[0];
                return soft.equals("unlimited") ? -1 : Long.parseLong(soft);
            }
        }
        return -1;
    }

    private static boolean mounted(String type) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream().anyMatch(l -> l.split(" ")[2].equals(type));
    }

    private static boolean mountedAt(String type, String dir) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream().anyMatch(l -> l.split(" ")[2].equals(type) && l.split(" ")[1].equals(dir));
    }
}
