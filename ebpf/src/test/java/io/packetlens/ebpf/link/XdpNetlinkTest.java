package io.packetlens.ebpf.link;

import io.packetlens.ebpf.netlink.Message;
import io.packetlens.ebpf.netlink.NetlinkError;
import io.packetlens.ebpf.netlink.NetlinkException;
import io.packetlens.ebpf.netlink.Rtnetlink;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The XDP side of rtnetlink on captured kernel replies (src/test/resources/netlink): no kernel needed. */
class XdpNetlinkTest {

    private static Message captured(String name) throws IOException {
        try (InputStream in = XdpNetlinkTest.class.getResourceAsStream("/netlink/" + name)) {
            byte[] d = in.readAllBytes();
            return Message.parseAll(d, d.length).getFirst();
        }
    }

    @Test
    void readsTheProgramAndModeFromALinkMessage() throws IOException {
        XdpInfo info = XdpNetlink.parse(captured("getlink-xdp-driver.bin"));
        assertThat(info.ifname()).isEqualTo("veth0");
        assertThat(info.programs()).isEqualTo(Map.of(XdpMode.DRIVER, 9007));
        assertThat(info.mode()).contains(XdpMode.DRIVER);
        assertThat(XdpNetlink.parse(captured("getlink.bin")).isEmpty()).isTrue();
    }

    @Test
    void refusalsCarryTheDriversReason() throws IOException {
        NetlinkError busy = NetlinkError.decode(captured("setlink-xdp-busy.bin"));
        assertThat(busy.errno()).isEqualTo(16);
        assertThat(busy.requestType()).isEqualTo(Rtnetlink.RTM_SETLINK);
        assertThat(Programs.busy(busy.errno())).isTrue();
        assertThat(NetlinkException.of("attach", busy)).hasMessage("attach: EBUSY (busy (already attached?)): kernel says \"Can't replace active BPF XDP link\"");

        NetlinkError mtu = NetlinkError.decode(captured("setlink-xdp-mtu.bin"));
        assertThat(mtu.errno()).isEqualTo(34);
        assertThat(mtu.message()).isEqualTo("veth: Peer MTU is too large to set XDP");
    }

    @Test
    void modeFlags() {
        assertThat(XdpNetlink.flags(XdpMode.DRIVER)).isEqualTo(Rtnetlink.XDP_FLAGS_DRV_MODE);
        assertThat(XdpNetlink.flags(XdpMode.GENERIC)).isEqualTo(Rtnetlink.XDP_FLAGS_SKB_MODE);
        assertThat(XdpNetlink.flags(XdpMode.OFFLOAD)).isEqualTo(Rtnetlink.XDP_FLAGS_HW_MODE);
        assertThat(XdpNetlink.flags(XdpMode.AUTO)).isZero();
    }
}
