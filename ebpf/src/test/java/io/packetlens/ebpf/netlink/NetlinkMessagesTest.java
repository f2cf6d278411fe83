package io.packetlens.ebpf.netlink;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Message building and parsing on bytes captured from a real kernel (src/test/resources/netlink); no kernel needed. */
class NetlinkMessagesTest {

    private static byte[] captured(String name) throws IOException {
        try (InputStream in = NetlinkMessagesTest.class.getResourceAsStream("/netlink/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static List<Message> messages(String name) throws IOException {
        byte[] d = captured(name);
        return Message.parseAll(d, d.length);
    }

    @Test
    void buildsHeaderFamilyHeaderAndPaddedAttributes() {
        byte[] msg = new MessageBuilder(Rtnetlink.RTM_NEWQDISC, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL)
                .header(new TcMsg(0, 3, 0xFFFF0000, Rtnetlink.TC_H_CLSACT, 0).bytes())
                .attrString(Rtnetlink.TCA_KIND, "clsact")
                .build();
        // little-endian: len 0x30 (attribute padding included), type 36, flags REQUEST|EXCL|CREATE = 0x601, seq 0, pid 0;
        // tcmsg {family 0, ifindex 3, handle ffff0000, parent fffffff1, info 0};
        // TCA_KIND: len 11 ("clsact\0" = 7 bytes + 4), type 1, value, 1 byte of padding
        assertThat(HexFormat.of().formatHex(msg)).isEqualTo(
                "30000000" + "2400" + "0106" + "00000000" + "00000000"
                        + "00000000" + "03000000" + "0000ffff" + "f1ffffff" + "00000000"
                        + "0b00" + "0100" + "636c7361637400" + "00");
        assertThat(msg.length % 4).isZero();
    }

    @Test
    void nestedAttributesCarryTheirLengthAndNestedFlag() {
        byte[] msg = new MessageBuilder(Rtnetlink.RTM_SETLINK, 0)
                .header(IfInfoMsg.of(7).bytes())
                .beginNested(Rtnetlink.IFLA_XDP)
                .attrU32(Rtnetlink.IFLA_XDP_FD, -1)
                .attrU32(Rtnetlink.IFLA_XDP_FLAGS, Rtnetlink.XDP_FLAGS_SKB_MODE)
                .endNested()
                .attrU8(99, 5)
                .build();
        ByteBuffer b = ByteBuffer.wrap(msg).order(ByteOrder.nativeOrder());
        int nest = Netlink.HDR_SIZE + IfInfoMsg.SIZE;
        assertThat(b.getShort(nest)).isEqualTo((short) (4 + 8 + 8));
        assertThat(b.getShort(nest + 2) & 0xffff).isEqualTo(Rtnetlink.IFLA_XDP | Netlink.NLA_F_NESTED);

        Message parsed = Message.parseAll(msg, msg.length).getFirst();
        assertThat(IfInfoMsg.parse(parsed).index()).isEqualTo(7);
        Attributes attrs = parsed.attributes(IfInfoMsg.SIZE);
        // the type comes back without NLA_F_NESTED
        Attributes xdp = attrs.get(Rtnetlink.IFLA_XDP).orElseThrow().nested();
        assertThat(xdp.get(Rtnetlink.IFLA_XDP_FD).orElseThrow().u32()).isEqualTo(-1);
        assertThat(xdp.get(Rtnetlink.IFLA_XDP_FLAGS).orElseThrow().u32()).isEqualTo(Rtnetlink.XDP_FLAGS_SKB_MODE);
        assertThat(attrs.get(99).orElseThrow().u8()).isEqualTo(5);
        assertThat(attrs.list()).extracting(Attribute::type).containsExactly(Rtnetlink.IFLA_XDP, 99);
    }

    @Test
    void unclosedNestIsRefused() {
        MessageBuilder b = new MessageBuilder(Rtnetlink.RTM_SETLINK, 0).beginNested(Rtnetlink.IFLA_XDP);
        assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("not closed");
    }

    @Test
    void decodesAnErrorWithTheKernelsExtendedAckText() throws IOException {
        List<Message> ms = messages("newtfilter-no-qdisc-error.bin");
        assertThat(ms).hasSize(1);
        Message m = ms.getFirst();
        assertThat(m.isError()).isTrue();
        assertThat(m.flags() & Netlink.NLM_F_ACK_TLVS).isNotZero();
        assertThat(m.flags() & Netlink.NLM_F_CAPPED).isNotZero();
        NetlinkError e = NetlinkError.decode(m);
        assertThat(e.errno()).isEqualTo(22);
        assertThat(e.isAck()).isFalse();
        assertThat(e.requestType()).isEqualTo(Rtnetlink.RTM_NEWTFILTER);
        assertThat(e.requestSeq()).isEqualTo(77);
        assertThat(e.message()).isEqualTo("Parent Qdisc doesn't exists");

        NetlinkException ex = NetlinkException.of("attach filter", e);
        assertThat(ex.errno()).isEqualTo(22);
        assertThat(ex.kernelMessage()).isEqualTo("Parent Qdisc doesn't exists");
        assertThat(ex).hasMessageContaining("EINVAL").hasMessageContaining("kernel says \"Parent Qdisc doesn't exists\"");
    }

    @Test
    void decodesAnErrorWithoutText() throws IOException {
        NetlinkError e = NetlinkError.decode(messages("setlink-xdp-error.bin").getFirst());
        assertThat(e.errno()).isEqualTo(9); // EBADF: fd 99999 was not open
        assertThat(e.requestType()).isEqualTo(Rtnetlink.RTM_SETLINK);
        assertThat(e.message()).isNull();
        assertThat(NetlinkException.of("attach XDP", e)).hasMessageContaining("EBADF").hasMessageNotContaining("kernel says");
    }

    @Test
    void decodesAnAck() throws IOException {
        NetlinkError ack = NetlinkError.decode(messages("newqdisc-ack.bin").getFirst());
        assertThat(ack.isAck()).isTrue();
        assertThat(ack.requestType()).isEqualTo(Rtnetlink.RTM_NEWQDISC);
        assertThat(NetlinkError.decode(messages("delqdisc-ack.bin").getFirst()).requestType()).isEqualTo(Rtnetlink.RTM_DELQDISC);
    }

    @Test
    void findsTheTextAfterAnUncappedEchoOfTheRequest() {
        // without NETLINK_CAP_ACK the kernel echoes the whole request before the TLVs
        byte[] request = new MessageBuilder(Rtnetlink.RTM_NEWTFILTER, 0).header(new TcMsg(0, 1, 2, 3, 4).bytes())
                .attrString(Rtnetlink.TCA_KIND, "bpf").build();
        ByteBuffer payload = ByteBuffer.allocate(4 + request.length + 16).order(ByteOrder.nativeOrder());
        payload.putInt(-95).put(request);
        payload.putShort((short) 8).putShort((short) Netlink.NLMSGERR_ATTR_MSG).put("oops".getBytes());
        payload.putShort((short) 8).putShort((short) Netlink.NLMSGERR_ATTR_OFFS).putInt(36);
        Message m = new Message(Netlink.NLMSG_ERROR, Netlink.NLM_F_ACK_TLVS, 5, 0, payload.array());
        NetlinkError e = NetlinkError.decode(m);
        assertThat(e.errno()).isEqualTo(95);
        assertThat(e.requestType()).isEqualTo(Rtnetlink.RTM_NEWTFILTER);
        assertThat(e.message()).isEqualTo("oops");
        assertThat(e.offset()).isEqualTo(36);
    }

    @Test
    void parsesAMultipartDump() throws IOException {
        List<Message> part = messages("getqdisc-dump-0.bin");
        assertThat(part).hasSize(3).allSatisfy(m -> {
            assertThat(m.type()).isEqualTo(Rtnetlink.RTM_NEWQDISC);
            assertThat(m.isMulti()).isTrue();
            assertThat(m.seq()).isEqualTo(77);
        });
        assertThat(part).extracting(m -> m.attributes(TcMsg.SIZE).get(Rtnetlink.TCA_KIND).orElseThrow().string())
                .containsExactly("noqueue", "noqueue", "clsact");
        TcMsg clsact = TcMsg.parse(part.get(2));
        assertThat(clsact.ifindex()).isEqualTo(3);
        assertThat(clsact.handle()).isEqualTo(0xFFFF0000);
        assertThat(clsact.parent()).isEqualTo(Rtnetlink.TC_H_CLSACT);

        List<Message> end = messages("getqdisc-dump-1.bin");
        assertThat(end).singleElement().satisfies(m -> assertThat(m.isDone()).isTrue());
    }

    @Test
    void parsesALinkWithItsXdpNest() throws IOException {
        Message link = messages("getlink.bin").getFirst();
        assertThat(link.type()).isEqualTo(Rtnetlink.RTM_NEWLINK);
        assertThat(IfInfoMsg.parse(link).index()).isEqualTo(3);
        Attributes attrs = link.attributes(IfInfoMsg.SIZE);
        assertThat(attrs.get(Rtnetlink.IFLA_IFNAME).orElseThrow().string()).isEqualTo("veth0");
        Attributes xdp = attrs.get(Rtnetlink.IFLA_XDP).orElseThrow().nested();
        assertThat(xdp.get(Rtnetlink.IFLA_XDP_ATTACHED).orElseThrow().u8()).isEqualTo(Rtnetlink.XDP_ATTACHED_NONE);
    }

    @Test
    void rejectsTruncatedMessagesAndAttributes() throws IOException {
        byte[] d = captured("newtfilter-no-qdisc-error.bin");
        assertThatThrownBy(() -> Message.parseAll(d, d.length - 4)).isInstanceOf(NetlinkException.class)
                .hasMessageContaining("malformed netlink message");
        ByteBuffer bad = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putShort((short) 12).putShort((short) 1);
        assertThatThrownBy(() -> Attributes.parse(bad, 0, 8)).isInstanceOf(NetlinkException.class)
                .hasMessageContaining("malformed netlink attribute");
        assertThatThrownBy(() -> new Attribute(1, new byte[2]).u32()).isInstanceOf(NetlinkException.class);
    }

    @Test
    void tcHelpers() {
        assertThat(Rtnetlink.tcHandle(Rtnetlink.TC_H_CLSACT, Rtnetlink.TC_H_MIN_INGRESS)).isEqualTo(0xFFFFFFF2);
        assertThat(Rtnetlink.tcHandle(Rtnetlink.TC_H_CLSACT, Rtnetlink.TC_H_MIN_EGRESS)).isEqualTo(0xFFFFFFF3);
        assertThat(Rtnetlink.htons(Rtnetlink.ETH_P_ALL)).isEqualTo(0x0300);
        TcMsg filter = new TcMsg(0, 1, 1, 0, (5 << 16) | Rtnetlink.htons(0x0800));
        assertThat(filter.priority()).isEqualTo(5);
        assertThat(filter.protocol()).isEqualTo(0x0800);
    }
}
