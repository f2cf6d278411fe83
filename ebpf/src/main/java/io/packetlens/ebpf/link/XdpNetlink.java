package io.packetlens.ebpf.link;

import io.packetlens.ebpf.netlink.Attribute;
import io.packetlens.ebpf.netlink.Attributes;
import io.packetlens.ebpf.netlink.IfInfoMsg;
import io.packetlens.ebpf.netlink.Message;
import io.packetlens.ebpf.netlink.MessageBuilder;
import io.packetlens.ebpf.netlink.NetlinkSocket;
import io.packetlens.ebpf.netlink.Rtnetlink;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** XDP through rtnetlink: RTM_SETLINK with an IFLA_XDP nest to set or clear a program, RTM_GETLINK to read it back. */
final class XdpNetlink {
    private XdpNetlink() {}

    static int flags(XdpMode mode) {
        return switch (mode) {
            case DRIVER -> Rtnetlink.XDP_FLAGS_DRV_MODE;
            case GENERIC -> Rtnetlink.XDP_FLAGS_SKB_MODE;
            case OFFLOAD -> Rtnetlink.XDP_FLAGS_HW_MODE;
            case AUTO -> 0;
        };
    }

    /**
     * Sets {@code progFd} (or -1 to clear) in {@code mode}. With {@code expectedFd} >= 0 the kernel
     * replaces (or clears) only if that program is the one attached now; otherwise it refuses
     * to touch an existing program (XDP_FLAGS_UPDATE_IF_NOEXIST).
     */
    static void set(NetlinkSocket nl, int ifindex, int progFd, XdpMode mode, int expectedFd, String what) {
        int flags = flags(mode);
        flags |= expectedFd >= 0 ? Rtnetlink.XDP_FLAGS_REPLACE : Rtnetlink.XDP_FLAGS_UPDATE_IF_NOEXIST;
        MessageBuilder m = new MessageBuilder(Rtnetlink.RTM_SETLINK, 0)
                .header(IfInfoMsg.of(ifindex).bytes())
                .beginNested(Rtnetlink.IFLA_XDP)
                .attrU32(Rtnetlink.IFLA_XDP_FD, progFd)
                .attrU32(Rtnetlink.IFLA_XDP_FLAGS, flags);
        if (expectedFd >= 0) m.attrU32(Rtnetlink.IFLA_XDP_EXPECTED_FD, expectedFd);
        nl.request(m.endNested(), what);
    }

    static XdpInfo query(NetlinkSocket nl, int ifindex) {
        List<Message> replies = nl.request(new MessageBuilder(Rtnetlink.RTM_GETLINK, 0).header(IfInfoMsg.of(ifindex).bytes()),
                "query XDP of ifindex " + ifindex);
        for (Message m : replies) {
            if (m.type() == Rtnetlink.RTM_NEWLINK) return parse(m);
        }
        throw new io.packetlens.ebpf.BpfException("no link message in the reply for ifindex " + ifindex);
    }

    static List<XdpInfo> queryAll(NetlinkSocket nl) {
        List<XdpInfo> out = new ArrayList<>();
        for (Message m : nl.dump(new MessageBuilder(Rtnetlink.RTM_GETLINK, 0).header(IfInfoMsg.of(0).bytes()), "list links")) {
            if (m.type() == Rtnetlink.RTM_NEWLINK) out.add(parse(m));
        }
        return out;
    }

    /** Reads IFLA_IFNAME and the IFLA_XDP nest of an RTM_NEWLINK message. */
    static XdpInfo parse(Message m) {
        int index = IfInfoMsg.parse(m).index();
        Attributes attrs = m.attributes(IfInfoMsg.SIZE);
        String name = attrs.get(Rtnetlink.IFLA_IFNAME).map(Attribute::string).orElse("?");
        Map<XdpMode, Integer> progs = new EnumMap<>(XdpMode.class);
        attrs.get(Rtnetlink.IFLA_XDP).ifPresent(x -> {
            Attributes xdp = x.nested();
            xdp.get(Rtnetlink.IFLA_XDP_DRV_PROG_ID).ifPresent(a -> progs.put(XdpMode.DRIVER, a.u32()));
            xdp.get(Rtnetlink.IFLA_XDP_SKB_PROG_ID).ifPresent(a -> progs.put(XdpMode.GENERIC, a.u32()));
            xdp.get(Rtnetlink.IFLA_XDP_HW_PROG_ID).ifPresent(a -> progs.put(XdpMode.OFFLOAD, a.u32()));
            // kernels before 5.0 report only the attached mode and one id
            if (progs.isEmpty() && xdp.has(Rtnetlink.IFLA_XDP_PROG_ID)) {
                int id = xdp.get(Rtnetlink.IFLA_XDP_PROG_ID).get().u32();
                int mode = xdp.get(Rtnetlink.IFLA_XDP_ATTACHED).map(Attribute::u8).orElse(0);
                XdpMode mm = switch (mode) {
                    case Rtnetlink.XDP_ATTACHED_DRV -> XdpMode.DRIVER;
                    case Rtnetlink.XDP_ATTACHED_SKB -> XdpMode.GENERIC;
                    case Rtnetlink.XDP_ATTACHED_HW -> XdpMode.OFFLOAD;
                    default -> null;
                };
                if (mm != null && id != 0) progs.put(mm, id);
            }
        });
        return new XdpInfo(index, name, progs);
    }
}
