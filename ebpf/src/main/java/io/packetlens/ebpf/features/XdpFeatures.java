package io.packetlens.ebpf.features;

import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.netlink.Attribute;
import io.packetlens.ebpf.netlink.Attributes;
import io.packetlens.ebpf.netlink.Message;
import io.packetlens.ebpf.netlink.MessageBuilder;
import io.packetlens.ebpf.netlink.NetlinkException;
import io.packetlens.ebpf.netlink.NetlinkSocket;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a network device's driver supports for XDP, as the kernel's {@code netdev} generic-netlink family reports it
 * (NETDEV_CMD_DEV_GET, Linux 6.3+; linux/netdev.h): native XDP ({@code NETDEV_XDP_ACT_BASIC}), XDP_REDIRECT, being a
 * redirect target ({@code NDO_XMIT}), AF_XDP zero-copy ({@code XSK_ZEROCOPY}), offload, multi-buffer. Read without
 * attaching anything, so asking never disturbs traffic. For the devices of the calling thread's network namespace.
 *
 * @param flags        the {@code netdev_xdp_act} bit set
 * @param zeroCopyMaxSegments the most fragments of one AF_XDP zero-copy frame (0 = not reported)
 */
public record XdpFeatures(int ifindex, long flags, int zeroCopyMaxSegments) {
    public static final long BASIC = 1, REDIRECT = 2, NDO_XMIT = 4, XSK_ZEROCOPY = 8, HW_OFFLOAD = 16, RX_SG = 32, NDO_XMIT_SG = 64;

    private static final int NETLINK_GENERIC = 16, GENL_ID_CTRL = 0x10, CTRL_CMD_GETFAMILY = 3, CTRL_ATTR_FAMILY_ID = 1,
            CTRL_ATTR_FAMILY_NAME = 2, NETDEV_CMD_DEV_GET = 1, NETDEV_A_DEV_IFINDEX = 1, NETDEV_A_DEV_XDP_FEATURES = 3,
            NETDEV_A_DEV_XDP_ZC_MAX_SEGS = 4;
    /** struct genlmsghdr: cmd, version, reserved. */
    private static final int GENL_HDR = 4;

    /** Native (driver-mode) XDP. */
    public boolean nativeXdp() {
        return (flags & BASIC) != 0;
    }

    /** AF_XDP sockets in zero-copy mode. */
    public boolean zeroCopy() {
        return (flags & XSK_ZEROCOPY) != 0;
    }

    public boolean has(long bit) {
        return (flags & bit) == bit;
    }

    /** The names of the set bits, as the netdev family spells them ({@code basic}, {@code xsk-zerocopy} ...). */
    public List<String> names() {
        String[] n = {"basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload", "rx-sg", "ndo-xmit-sg"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.length; i++) if ((flags & (1L << i)) != 0) out.add(n[i]);
        return out;
    }

    /**
     * Every device of this network namespace, or empty if the kernel has no netdev family (before 6.3: then only
     * trying an attachment tells).
     */
    public static Optional<List<XdpFeatures>> all() {
        try (NetlinkSocket nl = NetlinkSocket.open(NETLINK_GENERIC)) {
            Optional<Integer> family = familyId(nl);
            if (family.isEmpty()) return Optional.empty();
            List<XdpFeatures> out = new ArrayList<>();
            MessageBuilder req = new MessageBuilder(family.get(), 0).header(new byte[] {NETDEV_CMD_DEV_GET, 1, 0, 0});
            for (Message m : nl.dump(req, "netdev dev-get")) {
                Attributes a = m.attributes(GENL_HDR);
                Optional<Attribute> ifindex = a.get(NETDEV_A_DEV_IFINDEX);
                if (ifindex.isEmpty()) continue;
                out.add(new XdpFeatures(ifindex.get().u32(), a.get(NETDEV_A_DEV_XDP_FEATURES).map(Attribute::u64).orElse(0L),
                        a.get(NETDEV_A_DEV_XDP_ZC_MAX_SEGS).map(Attribute::u32).orElse(0)));
            }
            return Optional.of(out);
        }
    }

    /** The device {@code ifindex} of this namespace; empty if there is no netdev family or no such device. */
    public static Optional<XdpFeatures> of(int ifindex) {
        return all().flatMap(l -> l.stream().filter(f -> f.ifindex == ifindex).findFirst());
    }

    private static Optional<Integer> familyId(NetlinkSocket nl) {
        MessageBuilder req = new MessageBuilder(GENL_ID_CTRL, 0).header(new byte[] {CTRL_CMD_GETFAMILY, 1, 0, 0})
                .attrString(CTRL_ATTR_FAMILY_NAME, "netdev");
        try {
            for (Message m : nl.request(req, "resolve generic netlink family netdev")) {
                Optional<Attribute> id = m.attributes(GENL_HDR).get(CTRL_ATTR_FAMILY_ID);
                if (id.isPresent()) return Optional.of(id.get().u16());
            }
            return Optional.empty();
        } catch (NetlinkException e) {
            if (e.errno() == Errno.ENOENT) return Optional.empty();
            throw e;
        }
    }

}
