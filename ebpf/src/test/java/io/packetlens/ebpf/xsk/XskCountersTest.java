package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** XDP_STATISTICS: a fill ring without frames and a full RX ring are each counted, frame by frame. */
@KernelTest
class XskCountersTest {
    @Test
    void emptyFillRingIsCounted() throws Exception {
        try (Lab lab = Lab.create(); BpfObject obj = XskTestSupport.redirectProgram().load(); Umem umem = Umem.create(UmemConfig.defaults())) {
            Host a = lab.a(), b = lab.b();
            // only 8 frames to receive into, and nobody reading
            XskSocket xsk = b.call(() -> XskSocket.open(umem, b.ifname(), 0, XskConfig.rxOnly(64).fillFrames(8)));
            XskTestSupport.register(obj.map("xsks"), xsk);
            try (XdpLink link = b.call(() -> XdpLink.attach(obj.program("xdp_to_xsk"), b.ifname(), XdpMode.DRIVER))) {
                Traffic.udp(a, b, false, 20, 100);
                XskStatistics st = xsk.statistics();
                assertThat(st.rxFillRingEmptyDescs()).isEqualTo(12);
                assertThat(st.rxDropped()).isEqualTo(12);
                assertThat(st.rxRingFull()).isZero();
                assertThat(xsk.receive(64, (area, off, len) -> { })).isEqualTo(8);
                // the 8 frames are back in the fill ring: the next 8 fit again
                Traffic.udp(a, b, false, 8, 100);
                assertThat(xsk.receive(64, (area, off, len) -> { })).isEqualTo(8);
                assertThat(xsk.statistics().rxFillRingEmptyDescs()).isEqualTo(12);
            }
        }
    }

    @Test
    void fullRxRingIsCounted() throws Exception {
        try (Lab lab = Lab.create(); BpfObject obj = XskTestSupport.redirectProgram().load(); Umem umem = Umem.create(UmemConfig.defaults())) {
            Host a = lab.a(), b = lab.b();
            // plenty of frames, but an RX ring of 8 entries that nobody drains
            XskSocket xsk = b.call(() -> XskSocket.open(umem, b.ifname(), 0, XskConfig.rxOnly(8).fillFrames(256)));
            XskTestSupport.register(obj.map("xsks"), xsk);
            try (XdpLink link = b.call(() -> XdpLink.attach(obj.program("xdp_to_xsk"), b.ifname(), XdpMode.DRIVER))) {
                Traffic.udp(a, b, false, 20, 100);
                XskStatistics st = xsk.statistics();
                assertThat(st.rxRingFull()).isEqualTo(12);
                assertThat(st.rxFillRingEmptyDescs()).isZero();
                assertThat(st.rxLost()).isEqualTo(12);
                assertThat(xsk.receive(64, (area, off, len) -> { })).isEqualTo(8);
            }
        }
    }
}
