package io.packetlens.ebpf.link;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an {@link XdpChain} keeps its pins and how its dispatcher is attached.
 *
 * @param root directory on a bpf file system under which each chain has its own directory
 *             ({@code <root>/<netns inode>-<ifname>}); default {@link XdpChain#DEFAULT_ROOT}
 * @param mode the XDP mode of the dispatcher when this call creates the chain (an existing chain keeps its own)
 */
public record XdpChainOptions(Path root, XdpMode mode) {
    public XdpChainOptions {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(mode, "mode");
        if (mode == XdpMode.OFFLOAD) throw new IllegalArgumentException("an XDP chain cannot be offloaded (tail calls run on the host)");
    }

    /** {@link XdpChain#DEFAULT_ROOT}, {@link XdpMode#AUTO} (driver mode, else generic). */
    public static XdpChainOptions defaults() {
        return new XdpChainOptions(XdpChain.DEFAULT_ROOT, XdpMode.AUTO);
    }

    public XdpChainOptions root(Path r) {
        return new XdpChainOptions(r, mode);
    }

    public XdpChainOptions mode(XdpMode m) {
        return new XdpChainOptions(root, m);
    }
}
