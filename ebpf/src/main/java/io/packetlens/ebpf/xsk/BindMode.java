package io.packetlens.ebpf.xsk;

/** How an AF_XDP socket moves frames between driver and UMEM (the XDP_COPY / XDP_ZEROCOPY bind flags). */
public enum BindMode {
    /** Zero-copy if the driver supports it, copy otherwise (no flag: the kernel decides; {@link XskSocket#zeroCopy} tells). */
    AUTO(0),
    /** Force copy mode (XDP_COPY): works on every device, the kernel copies each frame once. */
    COPY(IfXdp.XDP_COPY),
    /** Force zero-copy (XDP_ZEROCOPY): the driver DMAs straight into UMEM; bind fails where unsupported (veth). */
    ZEROCOPY(IfXdp.XDP_ZEROCOPY);

    final int flag;

    BindMode(int flag) {
        this.flag = flag;
    }
}
