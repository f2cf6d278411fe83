package io.packetlens.ebpf;

/** {@code enum xdp_action}: what an XDP program returns. */
public enum XdpAction {
    ABORTED, DROP, PASS, TX, REDIRECT;

    public static XdpAction of(int value) {
        if (value < 0 || value >= values().length) throw new BpfException("not an XDP action: " + value);
        return values()[value];
    }
}
