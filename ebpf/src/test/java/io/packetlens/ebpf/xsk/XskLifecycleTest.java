package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.XdpAction;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.OpenFds;
import io.packetlens.packet.Frame;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Errors that name the problem, and closing that gives everything back. */
@KernelTest
class XskLifecycleTest {
    @Test
    void badInterfaceQueueOrModeIsAClearErrorAndLeaksNothing() throws Exception {
        try (Lab lab = Lab.create()) {
            Host b = lab.b();
            int fds = OpenFds.count();
            try (Umem umem = Umem.create(UmemConfig.defaults().frameCount(256))) {
                b.run(() -> {
                    assertThatThrownBy(() -> XskSocket.open(umem, "nosuch0", 0, XskConfig.defaults()))
                            .isInstanceOf(BpfException.NotFoundException.class)
                            .hasMessageContaining("no network interface named 'nosuch0'");
                    assertThatThrownBy(() -> XskSocket.open(umem, "veth0", 7, XskConfig.defaults()))
                            .isInstanceOf(BpfException.class)
                            .hasMessageContaining("queue 7 does not exist on veth0 (it has 1 RX and 1 TX queues");
                    assertThatThrownBy(() -> XskSocket.open(umem, "veth0", 0, XskConfig.defaults().bindMode(BindMode.ZEROCOPY)))
                            .isInstanceOf(BpfException.class)
                            .hasMessageContaining("has no zero-copy AF_XDP support");
                    // the UMEM is still usable after failed binds
                    XskSocket ok = XskSocket.open(umem, "veth0", 0, XskConfig.defaults().bindMode(BindMode.COPY));
                    assertThat(ok.zeroCopy()).isFalse();
                });
            }
            assertThat(OpenFds.count()).isEqualTo(fds);
        }
    }

    @Test
    void closingReleasesTheUmemTheRingsAndTheXskmapEntry() throws Exception {
        try (Lab lab = Lab.create(); BpfObject obj = XskTestSupport.redirectProgram().load()) {
            Host b = lab.b();
            int fds = OpenFds.count();
            BpfProgram prog = obj.program("xdp_to_xsk");
            byte[] udp = Frame.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).payload(new byte[16]).build();
            Umem umem = Umem.create(UmemConfig.defaults());
            long area = umem.area().address();
            XskSocket xsk = b.call(() -> XskSocket.open(umem, b.ifname(), 0, XskConfig.defaults()));
            XskTestSupport.register(obj.map("xsks"), xsk);
            assertThat(mapped(area)).isTrue();
            assertThat(prog.testRun(TestRun.of(udp)).xdpAction()).as("the XSKMAP holds the socket").isEqualTo(XdpAction.REDIRECT);

            xsk.close();
            umem.close();

            assertThat(OpenFds.count()).isEqualTo(fds);
            assertThat(mapped(area)).as("UMEM area unmapped").isFalse();
            // the kernel removed the released socket from the map: the redirect falls back to XDP_PASS
            assertThat(prog.testRun(TestRun.of(udp)).xdpAction()).isEqualTo(XdpAction.PASS);
            assertThat(xsk.isOpen()).isFalse();
            assertThatThrownBy(xsk::fd).isInstanceOf(IllegalStateException.class);
        }
    }

    private static boolean mapped(long address) throws Exception {
        String start = Long.toHexString(address);
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.startsWith(start + "-"));
    }
}
