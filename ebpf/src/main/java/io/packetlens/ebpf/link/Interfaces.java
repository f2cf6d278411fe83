package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Syscalls;
import io.packetlens.ebpf.sys.XskSyscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/** Network interface names and indexes in the calling thread's network namespace. */
public final class Interfaces {
    private static final long SIOCGIFHWADDR = 0x8927;
    private static final int AF_INET = 2, SOCK_DGRAM = 2;
    /** struct ifreq: name[16], then struct sockaddr { u16 family; u8 data[14]; }: a MAC is data[0..5]. */
    private static final int IFR_HWADDR_DATA = 18, IFR_SIZE = 40;

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

    /** The hardware (MAC) address of {@code name}, from the SIOCGIFHWADDR ioctl. */
    public static byte[] hardwareAddress(String name) {
        int sock = XskSyscalls.socket(AF_INET, SOCK_DGRAM, 0);
        if (sock < 0) throw BpfException.of("socket(AF_INET)", -sock);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFR_SIZE, 8);
            byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(bytes, 0, ifr, JAVA_BYTE, 0, Math.min(15, bytes.length));
            int r = Syscalls.ioctl(sock, SIOCGIFHWADDR, ifr.address());
            if (r < 0) throw BpfException.of("SIOCGIFHWADDR on " + name, -r);
            return ifr.asSlice(IFR_HWADDR_DATA, 6).toArray(JAVA_BYTE);
        } finally {
            Syscalls.close(sock);
        }
    }
}
