package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.sys.Syscalls;
import io.packetlens.ebpf.sys.XskSyscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * How many RX and TX queues a network device has, asked with the ethtool ioctl
 * ETHTOOL_GCHANNELS ({@code struct ethtool_channels} through {@code struct ifreq}), and its
 * MTU (SIOCGIFMTU), in the calling thread's network namespace. AF_XDP sockets bind to one queue, so this tells
 * which queue ids exist and how many sockets cover a device.
 */
public final class DeviceQueues {
    private static final int AF_INET = 2, SOCK_DGRAM = 2;
    private static final long SIOCETHTOOL = 0x8946, SIOCGIFMTU = 0x8921;
    private static final int ETHTOOL_GCHANNELS = 0x3c;
    /** struct ethtool_channels: cmd, max_rx, max_tx, max_other, max_combined, rx_count, tx_count, other_count, combined_count (u32). */
    private static final int CH_RX_COUNT = 20, CH_TX_COUNT = 24, CH_COMBINED_COUNT = 32, CH_SIZE = 36;
    /** struct ifreq: char ifr_name[16], then a union (ifr_data pointer, ifr_mtu int); 40 bytes. */
    private static final int IFR_DATA = 16, IFR_SIZE = 40;

    private DeviceQueues() {}

    /** RX and TX queue counts (combined channels counted in both). */
    public record Counts(int rx, int tx) {}

    /** The device's queue counts, or empty if the driver does not answer ETHTOOL_GCHANNELS. */
    public static java.util.Optional<Counts> of(String ifname) {
        int sock = XskSyscalls.socket(AF_INET, SOCK_DGRAM, 0);
        if (sock < 0) return java.util.Optional.empty();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ch = arena.allocate(CH_SIZE, 8);
            ch.set(JAVA_INT, 0, ETHTOOL_GCHANNELS);
            MemorySegment ifr = arena.allocate(IFR_SIZE, 8);
            byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, ifr, JAVA_BYTE, 0, Math.min(name.length, 15));
            ifr.set(JAVA_LONG, IFR_DATA, ch.address());
            if (Syscalls.ioctl(sock, SIOCETHTOOL, ifr.address()) < 0) return java.util.Optional.empty();
            int combined = ch.get(JAVA_INT, CH_COMBINED_COUNT);
            return java.util.Optional.of(new Counts(ch.get(JAVA_INT, CH_RX_COUNT) + combined, ch.get(JAVA_INT, CH_TX_COUNT) + combined));
        } finally {
            Syscalls.close(sock);
        }
    }

    /** The device's MTU (SIOCGIFMTU), or empty if there is no such device here. */
    public static OptionalInt mtu(String ifname) {
        int sock = XskSyscalls.socket(AF_INET, SOCK_DGRAM, 0);
        if (sock < 0) return OptionalInt.empty();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFR_SIZE, 8);
            byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, ifr, JAVA_BYTE, 0, Math.min(name.length, 15));
            if (Syscalls.ioctl(sock, SIOCGIFMTU, ifr.address()) < 0) return OptionalInt.empty();
            return OptionalInt.of(ifr.get(JAVA_INT, IFR_DATA));
        } finally {
            Syscalls.close(sock);
        }
    }

    /** RX queues of the device, if the driver tells. */
    public static OptionalInt rxQueues(String ifname) {
        return of(ifname).map(c -> OptionalInt.of(c.rx())).orElse(OptionalInt.empty());
    }
}
