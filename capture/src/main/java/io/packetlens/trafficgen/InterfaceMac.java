package io.packetlens.trafficgen;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Syscalls;
import io.packetlens.ebpf.sys.XskSyscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/** The hardware address of an interface, from the SIOCGIFHWADDR ioctl ({@code struct ifreq}), in the calling thread's namespace. */
public final class InterfaceMac {
    private static final long SIOCGIFHWADDR = 0x8927;
    /** struct ifreq: name[16], then struct sockaddr { u16 family; u8 data[14]; }: the MAC is data[0..5]. */
    private static final int IFR_HWADDR_DATA = 18, IFR_SIZE = 40;

    private InterfaceMac() {}

    public static byte[] of(String ifname) {
        int sock = XskSyscalls.socket(2, 2, 0);
        if (sock < 0) throw BpfException.of("socket(AF_INET)", -sock);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFR_SIZE, 8);
            byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, ifr, JAVA_BYTE, 0, Math.min(15, name.length));
            int r = Syscalls.ioctl(sock, SIOCGIFHWADDR, ifr.address());
            if (r < 0) throw BpfException.of("SIOCGIFHWADDR on " + ifname, -r);
            return ifr.asSlice(IFR_HWADDR_DATA, 6).toArray(JAVA_BYTE);
        } finally {
            Syscalls.close(sock);
        }
    }

    public static byte[] parse(String mac) {
        byte[] b = java.util.HexFormat.ofDelimiter(":").parseHex(mac.toLowerCase());
        if (b.length != 6) throw new IllegalArgumentException("not a MAC address: " + mac);
        return b;
    }
}
