package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.nio.file.Path;

/**
 * A program attached to a network namespace through a BPF link (BPF_LINK_CREATE with the namespace's fd): sk_lookup,
 * which picks the socket for each new connection or datagram arriving in the namespace, or the flow dissector, which
 * replaces the kernel's for the namespace's packets. Detached when closed or when its owner dies, unless pinned.
 */
public final class NetnsLink extends Link {
    private static final int O_RDONLY = 0, O_CLOEXEC = 0x80000;
    private final Path namespace;

    private NetnsLink(Fd fd, Path namespace, String what) {
        super(fd, what);
        this.namespace = namespace;
    }

    /**
     * Attaches an SK_LOOKUP or FLOW_DISSECTOR program to the namespace whose file is {@code namespace}
     * ({@code /run/netns/NAME}, {@code /proc/PID/ns/net}, {@code /proc/self/ns/net}).
     */
    public static NetnsLink attach(BpfProgram program, Path namespace) {
        AttachType type = switch (program.type()) {
            case SK_LOOKUP -> AttachType.SK_LOOKUP;
            case FLOW_DISSECTOR -> AttachType.FLOW_DISSECTOR;
            default -> throw new BpfException("program " + program.name() + " is " + program.type()
                    + ": network namespaces take SK_LOOKUP (section \"sk_lookup\") and FLOW_DISSECTOR (\"flow_dissector\") programs");
        };
        String what = type.name().toLowerCase(java.util.Locale.ROOT) + " program " + program.name() + " on network namespace " + namespace;
        int nsFd = Syscalls.open(namespace.toString(), O_RDONLY | O_CLOEXEC, 0);
        if (nsFd < 0) throw BpfException.of("open network namespace " + namespace, -nsFd);
        try (Fd ns = new Fd(nsFd)) {
            return new NetnsLink(create(program.fd(), ns.get(), type.value(), 0, null, what), namespace, what);
        }
    }

    public Path namespace() {
        return namespace;
    }
}
