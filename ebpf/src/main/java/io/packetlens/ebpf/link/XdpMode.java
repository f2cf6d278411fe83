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

    /** The modes a user may ask for, as they are written on command lines and in configurations. */
    public static final String CHOICES = "auto, driver (native), generic (skb)";

    /**
     * Reads a mode as users write it: {@code auto}, {@code driver} (also {@code native}, {@code drv}),
     * {@code generic} (also {@code skb}), {@code offload} (also {@code hw}); case does not matter.
     *
     * @throws IllegalArgumentException naming the choices
     */
    public static XdpMode parse(String text) {
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> AUTO;
            case "driver", "native", "drv" -> DRIVER;
            case "generic", "skb" -> GENERIC;
            case "offload", "hw" -> OFFLOAD;
            default -> throw new IllegalArgumentException("expected an XDP mode (" + CHOICES + "), got '" + text + "'");
        };
    }
}
