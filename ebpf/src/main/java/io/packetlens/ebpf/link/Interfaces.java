package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Syscalls;

/** Network interface names and indexes in the calling thread's network namespace. */
public final class Interfaces {
    private Interfaces() {}

    /** The ifindex of {@code name}; a clear error if there is no such interface here. */
    public static int index(String name) {
        if (name == null || name.isEmpty() || name.length() > 15) {
            throw new BpfException.NotFoundException("invalid interface name '" + name + "' (1 to 15 characters)");
        }
        int idx = Syscalls.ifNameToIndex(name);
        if (idx == 0) {
            throw new BpfException.NotFoundException("no network interface named '" + name
                    + "' in this network namespace (see `ip link show`)");
        }
        return idx;
    }
}
