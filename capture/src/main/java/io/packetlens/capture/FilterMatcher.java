package io.packetlens.capture;

import io.packetlens.packet.PacketFields;
import io.packetlens.programs.filter.AddressTerm;
import io.packetlens.programs.filter.CaptureFilter;
import io.packetlens.programs.filter.Direction;
import io.packetlens.programs.filter.PortTerm;

import java.util.List;

/**
 * A {@link CaptureFilter} applied in Java to what the flow parser ({@link PacketFields}) read of a frame, with the
 * semantics the kernel's map lookups give it ({@code packetlens_filter.h}): for capture's AF_PACKET fallback, where no
 * filter program can be loaded. A frame that is not IP matches only the empty filter; the protocol is the last one
 * the parser read (after IPv6 extension headers); each kind of term present must hold, one of its alternatives
 * enough; an address term holds for an address of its family inside its prefix, at the end its direction names
 * (either end without one); a port term needs ports the parser read (TCP, UDP, SCTP, not a later fragment).
 * {@code CaptureFallbackTest} holds it to the kernel's verdict frame by frame. Matching allocates nothing.
 */
final class FilterMatcher {
    private final boolean everything;
    private final boolean ip4, ip6;
    private final boolean[] protocols = new boolean[256];
    private final boolean anyProtocol;
    /** Address terms per direction (SRC, DST, ANY): 16-byte forms (IPv4 mapped), prefix length on them, family. */
    private final byte[][][] addresses = new byte[3][][];
    private final int[][] prefixes = new int[3][];
    private final boolean[][] v6 = new boolean[3][];
    private final int[][] ports = new int[3][];

    FilterMatcher(CaptureFilter f) {
        this.everything = f.matchesEverything();
        this.ip4 = f.families().isEmpty() || f.families().contains(4);
        this.ip6 = f.families().isEmpty() || f.families().contains(6);
        this.anyProtocol = f.protocols().isEmpty();
        for (int p : f.protocols()) protocols[p] = true;
        for (Direction d : Direction.values()) {
            int i = d.ordinal();
            List<AddressTerm> a = f.addresses().stream().filter(t -> t.direction() == d).toList();
            addresses[i] = new byte[a.size()][];
            prefixes[i] = new int[a.size()];
            v6[i] = new boolean[a.size()];
            for (int k = 0; k < a.size(); k++) {
                AddressTerm t = a.get(k);
                byte[] full = new byte[16];
                System.arraycopy(t.address(), 0, full, 16 - t.address().length, t.address().length);
                if (!t.ipv6()) full[10] = full[11] = (byte) 0xff; // ::ffff:a.b.c.d, as the parser keeps IPv4
                addresses[i][k] = full;
                v6[i][k] = t.ipv6();
                prefixes[i][k] = t.prefixLength() + (t.ipv6() ? 0 : 96);
            }
            ports[i] = f.ports().stream().filter(t -> t.direction() == d).mapToInt(PortTerm::port).toArray();
        }
    }

    /** Whether the frame {@code p} just parsed passes the filter. */
    boolean matches(PacketFields p) {
        if (everything) return true;
        int version = p.ipVersion();
        if (version == 0) return false;
        if (version == 4 ? !ip4 : !ip6) return false;
        if (!anyProtocol && !protocols[p.lastProtocol()]) return false;
        for (int d = 0; d < 3; d++) {
            if (addresses[d].length == 0) continue;
            boolean ok = false;
            for (int k = 0; k < addresses[d].length && !ok; k++) {
                if (v6[d][k] != (version == 6)) continue;
                ok = d == Direction.SRC.ordinal() ? covers(addresses[d][k], prefixes[d][k], p, true)
                        : d == Direction.DST.ordinal() ? covers(addresses[d][k], prefixes[d][k], p, false)
                        : covers(addresses[d][k], prefixes[d][k], p, true) || covers(addresses[d][k], prefixes[d][k], p, false);
            }
            if (!ok) return false;
        }
        boolean anyPorts = ports[0].length + ports[1].length + ports[2].length > 0;
        if (!anyPorts) return true;
        if (!p.hasPorts()) return false;
        for (int d = 0; d < 3; d++) {
            if (ports[d].length == 0) continue;
            boolean ok = false;
            for (int port : ports[d]) {
                if (d == Direction.SRC.ordinal()) ok |= port == p.sourcePort();
                else if (d == Direction.DST.ordinal()) ok |= port == p.destinationPort();
                else ok |= port == p.sourcePort() || port == p.destinationPort();
            }
            if (!ok) return false;
        }
        return true;
    }

    /** Whether the first {@code bits} bits of the frame's source (or destination) address are {@code prefix}'s. */
    private static boolean covers(byte[] prefix, int bits, PacketFields p, boolean source) {
        int full = bits >>> 3;
        for (int i = 0; i < full; i++) {
            if ((source ? p.sourceByte(i) : p.destinationByte(i)) != prefix[i]) return false;
        }
        int rest = bits & 7;
        if (rest == 0) return true;
        int mask = 0xff00 >>> rest & 0xff;
        return ((source ? p.sourceByte(full) : p.destinationByte(full)) & mask) == (prefix[full] & mask);
    }
}
