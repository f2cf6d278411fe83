package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfProgram;

/**
 * How to attach an XDP program: the mode, whether through a BPF link or netlink
 * (RTM_SETLINK with IFLA_XDP), and whether to replace a program that is already attached.
 * Without {@link #replacing}, an attachment never displaces another program: links refuse
 * by nature, and netlink requests carry XDP_FLAGS_UPDATE_IF_NOEXIST.
 */
public record XdpOptions(XdpMode mode, Via via, BpfProgram replacing) {

    /** The attach mechanism. */
    public enum Via {
        /** A BPF link where the kernel has them (5.9+), netlink where it refuses the link with EINVAL. */
        AUTO,
        /** BPF_LINK_CREATE only. */
        LINK,
        /** RTM_SETLINK with IFLA_XDP only (the attachment then outlives the process until closed). */
        NETLINK
    }

    public XdpOptions {
        if (mode == null) throw new IllegalArgumentException("mode is required");
        if (via == null) throw new IllegalArgumentException("via is required");
        if (replacing != null && via == Via.LINK) {
            throw new IllegalArgumentException("replacing another program needs netlink (IFLA_XDP_EXPECTED_FD): use Via.AUTO or Via.NETLINK");
        }
    }

    /** AUTO mode (driver, else generic), AUTO mechanism, no replacement. */
    public static XdpOptions defaults() {
        return new XdpOptions(XdpMode.AUTO, Via.AUTO, null);
    }

    public XdpOptions mode(XdpMode m) {
        return new XdpOptions(m, via, replacing);
    }

    public XdpOptions via(Via v) {
        return new XdpOptions(mode, v, replacing);
    }

    /**
     * Replace {@code expected}, which must be the program attached now in this mode (checked by
     * the kernel atomically through IFLA_XDP_EXPECTED_FD and XDP_FLAGS_REPLACE); implies netlink.
     */
    public XdpOptions replacing(BpfProgram expected) {
        return new XdpOptions(mode, via == Via.LINK ? Via.NETLINK : via, expected);
    }
}
