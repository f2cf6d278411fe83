package io.packetlens.ebpf.link;

/** XDP attach modes ({@code XDP_FLAGS_*_MODE} of linux/if_link.h). */
public enum XdpMode {
    /** Native mode in the driver (XDP_FLAGS_DRV_MODE): fastest, needs driver support (veth has it). */
    DRIVER(1 << 2),
    /** Generic mode in the stack after skb allocation (XDP_FLAGS_SKB_MODE): works on every device. */
    GENERIC(1 << 1),
    /** Offloaded to the NIC (XDP_FLAGS_HW_MODE). */
    OFFLOAD(1 << 3),
    /** Driver mode if the device supports it, else generic; the link reports which was used. */
    AUTO(0);

    final int flags;

    XdpMode(int flags) {
        this.flags = flags;
    }
}
