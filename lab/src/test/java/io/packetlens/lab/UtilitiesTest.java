package io.packetlens.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.packetlens.testkit.KernelTest;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UtilitiesTest {

    @Test
    void openFdsSeesADescriptorOpenAndClose() throws Exception {
        int before = OpenFds.count();
        try (FileInputStream in = new FileInputStream("/proc/self/status")) {
            assertThat(in.getFD().valid()).isTrue();
            assertThat(OpenFds.count()).isEqualTo(before + 1);
        }
        assertThat(OpenFds.count()).isEqualTo(before);
    }

    @Test
    void linkStatsMinus() {
        assertThat(new LinkStats(10, 1000, 5, 500).minus(new LinkStats(4, 400, 5, 100)))
                .isEqualTo(new LinkStats(6, 600, 0, 400));
    }

    @Test
    void parsesSnmpFiles() {
        Map<String, Long> counters = new TreeMap<>();
        Snmp.parseSnmp(List.of(
                "Ip: Forwarding DefaultTTL OutRequests",
                "Ip: 2 64 17",
                "Udp: InDatagrams OutDatagrams",
                "Udp: 3 4"), counters);
        Snmp.parseSnmp6(List.of("Ip6OutRequests                  	7", "Udp6OutDatagrams 8"), counters);
        assertThat(counters).containsExactlyInAnyOrderEntriesOf(Map.of(
                "Ip.Forwarding", 2L, "Ip.DefaultTTL", 64L, "Ip.OutRequests", 17L,
                "Udp.InDatagrams", 3L, "Udp.OutDatagrams", 4L,
                "Ip6OutRequests", 7L, "Udp6OutDatagrams", 8L));
    }

    @Test
    @KernelTest
    void bpffsMountsAPrivateInstance(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("bpf");
        Bpffs.mountPrivate(dir);
        try {
            assertThat(Bpffs.isMounted(dir)).isTrue();
            try (var entries = Files.list(dir)) {
                // a fresh instance holds nothing but the kernel's preloaded maps.debug/progs.debug iterators
                assertThat(entries.map(p -> p.getFileName().toString())).allMatch(name -> name.endsWith(".debug"));
            }
        } finally {
            Bpffs.unmount(dir);
        }
        assertThat(Bpffs.isMounted(dir)).isFalse();
        Bpffs.unmount(dir); // nothing mounted: no-op
    }
}
