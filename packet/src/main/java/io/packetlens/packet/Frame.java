package io.packetlens.packet;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A frame builder, one layer after the other, outermost first:
 * <pre>{@code
 * byte[] f = Frame.ethernet(srcMac, dstMac).vlan(100).ipv4("10.0.0.1", "10.0.0.2").udp(40000, 53).payload(20).build();
 * }</pre>
 * Ethernet (with any number of VLAN tags) or no link layer ({@link #ipPacket()}); then IPv4 (options, fragment
 * fields) or IPv6 (extension headers in the order they are added), or a raw {@link #ethertype}; then UDP, TCP, SCTP,
 * ICMP, ICMPv6 or a raw {@link #protocol}; then the payload. {@link #build()} fills in every length and checksum: IPv4
 * header, UDP/TCP/ICMPv6 with the pseudo-header of the enclosing IP header, ICMP, SCTP's CRC32c. Checksums cover the
 * frame as built, as if it were a whole datagram (a later fragment gets one too). A builder is not thread-safe and
 * can be built more than once.
 */
public final class Frame {
    /** Locally administered MACs {@link #ethernet()} uses. */
    public static final byte[] DEFAULT_SOURCE_MAC = {2, 0, 0, 0, 0, 1}, DEFAULT_DESTINATION_MAC = {2, 0, 0, 0, 0, 2};

    private enum Transport { NONE, RAW, UDP, TCP, SCTP, ICMP, ICMPV6 }

    private record Tag(int tpid, int tci) {}

    /** An IPv6 extension header: its type and its bytes, the first (next header) filled in at build time. */
    private record Extension(int type, byte[] body) {}

    private final byte[] sourceMac, destinationMac;
    private final List<Tag> tags = new ArrayList<>();
    private int rawEthertype = -1;

    private int ipVersion;
    private byte[] ipSource, ipDestination;
    private int tos, ttl = 64, identification, flagsAndOffset;
    private byte[] options = new byte[0];
    private int flowLabel;
    private final List<Extension> extensions = new ArrayList<>();

    private Transport transport = Transport.NONE;
    private int protocol;
    private int sourcePort, destinationPort;
    private int tcpFlags;
    private long sequence, acknowledgment;
    private int window = 65535;
    private int verificationTag;
    private int icmpType, icmpCode, icmpRest;
    private byte[] payload = new byte[0];

    private Frame(byte[] sourceMac, byte[] destinationMac) {
        this.sourceMac = sourceMac;
        this.destinationMac = destinationMac;
    }

    /** An Ethernet frame from {@code source} to {@code destination} (6 bytes each). */
    public static Frame ethernet(byte[] source, byte[] destination) {
        if (source.length != 6 || destination.length != 6) throw new IllegalArgumentException("MAC addresses are 6 bytes");
        return new Frame(source.clone(), destination.clone());
    }

    /** An Ethernet frame between MACs written {@code 02:00:00:00:00:01}. */
    public static Frame ethernet(String source, String destination) {
        return ethernet(mac(source), mac(destination));
    }

    /** An Ethernet frame from {@link #DEFAULT_SOURCE_MAC} to {@link #DEFAULT_DESTINATION_MAC}. */
    public static Frame ethernet() {
        return ethernet(DEFAULT_SOURCE_MAC, DEFAULT_DESTINATION_MAC);
    }

    /** An IP packet without a link layer: {@link #build()} starts at the IP header. */
    public static Frame ipPacket() {
        return new Frame(null, null);
    }

    /** Parses a MAC address written as six colon-separated hex bytes. */
    public static byte[] mac(String text) {
        byte[] b = HexFormat.ofDelimiter(":").parseHex(text);
        if (b.length != 6) throw new IllegalArgumentException("not a MAC address: " + text);
        return b;
    }

    /**
     * Inserts a VLAN tag into an Ethernet frame right after its MAC addresses, as a switch port pushing a tag does;
     * the result is 4 bytes longer and otherwise unchanged.
     */
    public static byte[] pushVlan(byte[] frame, int tpid, int tci) {
        if (frame.length < 14) throw new IllegalArgumentException("not an Ethernet frame: " + frame.length + " bytes");
        return ByteBuffer.allocate(frame.length + 4).put(frame, 0, 12).putShort((short) tpid).putShort((short) tci)
                .put(frame, 12, frame.length - 12).array();
    }

    // ---- link layer ----

    /** An 802.1Q tag with VLAN id {@code id} (priority 0), after the tags added so far. */
    public Frame vlan(int id) {
        if (id < 0 || id > 4095) throw new IllegalArgumentException("VLAN id must be 0..4095, not " + id);
        return vlan(EtherType.VLAN, id);
    }

    /** A tag with any TPID ({@link EtherType#QINQ} for a QinQ outer tag) and a whole TCI (priority, DEI, id). */
    public Frame vlan(int tpid, int tci) {
        requireEthernet("VLAN tags");
        if (ipVersion != 0 || rawEthertype >= 0) throw new IllegalStateException("VLAN tags come before the payload of the frame");
        tags.add(new Tag(tpid & 0xffff, tci & 0xffff));
        return this;
    }

    /** No IP layer: the {@link #payload} follows the Ethernet header (and tags) under this ethertype. */
    public Frame ethertype(int type) {
        requireEthernet("an ethertype");
        if (ipVersion != 0 || rawEthertype >= 0) throw new IllegalStateException("the frame already has a network layer");
        rawEthertype = type & 0xffff;
        return this;
    }

    // ---- IPv4 ----

    public Frame ipv4(String source, String destination) {
        return ipv4(InetAddress.ofLiteral(source), InetAddress.ofLiteral(destination));
    }

    public Frame ipv4(InetAddress source, InetAddress destination) {
        if (!(source instanceof Inet4Address) || !(destination instanceof Inet4Address)) {
            throw new IllegalArgumentException("IPv4 needs IPv4 addresses, not " + source + " and " + destination);
        }
        return ipv4(source.getAddress(), destination.getAddress());
    }

    /** An IPv4 header (TTL 64, no options, not a fragment unless set). */
    public Frame ipv4(byte[] source, byte[] destination) {
        if (source.length != 4 || destination.length != 4) throw new IllegalArgumentException("IPv4 addresses are 4 bytes");
        startIp(4, source, destination);
        return this;
    }

    /** The type-of-service byte (IPv4) or traffic class (IPv6): DSCP in the upper six bits, ECN in the lower two. */
    public Frame tos(int value) {
        requireIp("a type of service");
        tos = value & 0xff;
        return this;
    }

    /** Sets the DSCP, keeping ECN. */
    public Frame dscp(int dscp) {
        requireIp("a DSCP");
        tos = (dscp & 0x3f) << 2 | (tos & 3);
        return this;
    }

    /** IPv4 TTL or IPv6 hop limit. */
    public Frame ttl(int value) {
        requireIp("a TTL");
        ttl = value & 0xff;
        return this;
    }

    public Frame identification(int id) {
        requireIpv4("an identification");
        identification = id & 0xffff;
        return this;
    }

    /** Sets DF. */
    public Frame dontFragment() {
        requireIpv4("DF");
        flagsAndOffset |= 0x4000;
        return this;
    }

    /** The flags and fragment offset word as it is on the wire (DF 0x4000, MF 0x2000, offset in 8-byte units). */
    public Frame flagsAndOffset(int word) {
        requireIpv4("a fragment field");
        flagsAndOffset = word & 0xffff;
        return this;
    }

    /**
     * A fragment: IPv4 sets the offset (in 8-byte units) and MF in its header; IPv6 adds a fragment extension header
     * here in the chain.
     */
    public Frame fragment(int offsetUnits, boolean more) {
        requireIp("a fragment");
        if (offsetUnits < 0 || offsetUnits > 0x1fff) throw new IllegalArgumentException("fragment offset must be 0..8191 units");
        if (ipVersion == 4) {
            flagsAndOffset = (flagsAndOffset & 0x4000) | (more ? 0x2000 : 0) | offsetUnits;
        } else {
            byte[] body = new byte[8];
            int field = offsetUnits << 3 | (more ? 1 : 0);
            body[2] = (byte) (field >> 8);
            body[3] = (byte) field;
            extension(IpProtocol.FRAGMENT, body);
        }
        return this;
    }

    /** IPv4 options (a multiple of 4 bytes, at most 40). */
    public Frame options(byte[] bytes) {
        requireIpv4("options");
        if (bytes.length % 4 != 0 || bytes.length > 40) throw new IllegalArgumentException("IPv4 options are 0..40 bytes in 4-byte words, not " + bytes.length);
        options = bytes.clone();
        return this;
    }

    // ---- IPv6 ----

    public Frame ipv6(String source, String destination) {
        return ipv6(InetAddress.ofLiteral(source), InetAddress.ofLiteral(destination));
    }

    /** An IPv6 header; an IPv4 address is taken in its IPv4-mapped form (Java turns {@code ::ffff:a.b.c.d} into one). */
    public Frame ipv6(InetAddress source, InetAddress destination) {
        return ipv6(sixteen(source), sixteen(destination));
    }

    /** An IPv6 header (hop limit 64, traffic class and flow label 0 unless set). */
    public Frame ipv6(byte[] source, byte[] destination) {
        if (source.length != 16 || destination.length != 16) throw new IllegalArgumentException("IPv6 addresses are 16 bytes");
        startIp(6, source, destination);
        return this;
    }

    public Frame flowLabel(int label) {
        requireIpv6("a flow label");
        flowLabel = label & 0xfffff;
        return this;
    }

    /** A hop-by-hop options header of {@code (units + 1) * 8} bytes (padding options: zeros, PAD1). */
    public Frame hopByHop(int units) {
        return options(IpProtocol.HOPOPTS, units);
    }

    /** A routing header of {@code (units + 1) * 8} bytes (its fields zero). */
    public Frame routing(int units) {
        return options(IpProtocol.ROUTING, units);
    }

    /** A destination options header of {@code (units + 1) * 8} bytes. */
    public Frame destinationOptions(int units) {
        return options(IpProtocol.DSTOPTS, units);
    }

    /** An authentication header of {@code (len + 2) * 4} bytes (SPI, sequence and ICV zero). */
    public Frame authentication(int len) {
        if (len < 1 || len > 255) throw new IllegalArgumentException("AH length must be 1..255, not " + len);
        byte[] body = new byte[(len + 2) * 4];
        body[1] = (byte) len;
        return extension(IpProtocol.AH, body);
    }

    /** Any extension header: {@code body} is the whole header; its first byte (next header) is filled in by {@link #build()}. */
    public Frame extension(int type, byte[] body) {
        requireIpv6("extension headers");
        if (transport != Transport.NONE) throw new IllegalStateException("extension headers come before the transport header");
        if (body.length < 8 || body.length % 8 != 0 && type != IpProtocol.AH) {
            throw new IllegalArgumentException("an extension header is a multiple of 8 bytes, at least 8, not " + body.length);
        }
        extensions.add(new Extension(type, body.clone()));
        return this;
    }

    private Frame options(int type, int units) {
        if (units < 0 || units > 255) throw new IllegalArgumentException("header length must be 0..255 units, not " + units);
        byte[] body = new byte[(units + 1) * 8];
        body[1] = (byte) units;
        return extension(type, body);
    }

    // ---- transport ----

    public Frame udp(int source, int destination) {
        return ports(Transport.UDP, IpProtocol.UDP, source, destination);
    }

    /** A TCP header (20 bytes, no options): flags 0, sequence and acknowledgment 0 and window 65535 unless set. */
    public Frame tcp(int source, int destination) {
        return ports(Transport.TCP, IpProtocol.TCP, source, destination);
    }

    /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80). */
    public Frame tcpFlags(int flags) {
        requireTransport(Transport.TCP, "TCP flags");
        tcpFlags = flags & 0xff;
        return this;
    }

    public Frame sequence(long seq) {
        requireTransport(Transport.TCP, "a sequence number");
        sequence = seq & 0xffffffffL;
        return this;
    }

    public Frame acknowledgment(long ack) {
        requireTransport(Transport.TCP, "an acknowledgment number");
        acknowledgment = ack & 0xffffffffL;
        return this;
    }

    public Frame window(int size) {
        requireTransport(Transport.TCP, "a window");
        window = size & 0xffff;
        return this;
    }

    /** An SCTP common header (12 bytes) with CRC32c; the chunks are the payload. */
    public Frame sctp(int source, int destination) {
        return ports(Transport.SCTP, IpProtocol.SCTP, source, destination);
    }

    public Frame verificationTag(int tag) {
        requireTransport(Transport.SCTP, "a verification tag");
        verificationTag = tag;
        return this;
    }

    /** An ICMP message header (8 bytes: type, code, checksum, 4 bytes of {@link #rest}). */
    public Frame icmp(int type, int code) {
        return icmpHeader(Transport.ICMP, IpProtocol.ICMP, type, code);
    }

    /** An ICMPv6 message header (8 bytes), its checksum over the pseudo-header of the enclosing IP header. */
    public Frame icmpv6(int type, int code) {
        return icmpHeader(Transport.ICMPV6, IpProtocol.ICMPV6, type, code);
    }

    /** The ICMP header's last four bytes; for echo messages identifier and sequence. */
    public Frame rest(int identifier, int sequence) {
        if (transport != Transport.ICMP && transport != Transport.ICMPV6) throw new IllegalStateException("rest of header is for ICMP and ICMPv6");
        icmpRest = (identifier & 0xffff) << 16 | (sequence & 0xffff);
        return this;
    }

    /** No transport header this builder writes: the payload follows the IP header under protocol {@code number}. */
    public Frame protocol(int number) {
        requireIp("a protocol");
        startTransport(Transport.RAW, number);
        return this;
    }

    // ---- payload ----

    /** {@code n} payload bytes 0, 1, 2, ... (mod 256). */
    public Frame payload(int n) {
        if (n < 0) throw new IllegalArgumentException("payload length must be >= 0");
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) p[i] = (byte) i;
        payload = p;
        return this;
    }

    public Frame payload(byte[] bytes) {
        payload = bytes.clone();
        return this;
    }

    /** The frame's bytes. */
    public byte[] build() {
        byte[] network;
        int ethertype;
        if (ipVersion == 0) {
            if (sourceMac == null) throw new IllegalStateException("an IP packet needs ipv4(...) or ipv6(...)");
            if (rawEthertype < 0) throw new IllegalStateException("the frame needs ipv4(...), ipv6(...) or ethertype(...)");
            network = payload;
            ethertype = rawEthertype;
        } else {
            if (transport == Transport.NONE) throw new IllegalStateException("the IP packet needs a transport: udp, tcp, sctp, icmp, icmpv6 or protocol(n)");
            network = ipVersion == 4 ? ipv4Packet() : ipv6Packet();
            ethertype = ipVersion == 4 ? EtherType.IPV4 : EtherType.IPV6;
        }
        if (sourceMac == null) return network;
        ByteBuffer b = ByteBuffer.allocate(14 + 4 * tags.size() + network.length);
        b.put(destinationMac).put(sourceMac);
        for (Tag t : tags) b.putShort((short) t.tpid()).putShort((short) t.tci());
        return b.putShort((short) ethertype).put(network).array();
    }

    private byte[] ipv4Packet() {
        int hlen = 20 + options.length;
        byte[] l4 = transportBytes(Checksums.pseudoHeader(ipSource, ipDestination, protocol, transportLength()));
        ByteBuffer b = ByteBuffer.allocate(hlen + l4.length);
        b.put((byte) (0x40 | hlen / 4)).put((byte) tos).putShort((short) (hlen + l4.length)).putShort((short) identification)
                .putShort((short) flagsAndOffset).put((byte) ttl).put((byte) protocol).putShort((short) 0)
                .put(ipSource).put(ipDestination).put(options);
        b.putShort(10, (short) Checksums.checksum(b.array(), 0, hlen));
        return b.put(l4).array();
    }

    private byte[] ipv6Packet() {
        ByteArrayOutputStream chain = new ByteArrayOutputStream();
        for (int i = 0; i < extensions.size(); i++) {
            byte[] body = extensions.get(i).body().clone();
            body[0] = (byte) (i + 1 < extensions.size() ? extensions.get(i + 1).type() : protocol);
            chain.writeBytes(body);
        }
        int first = extensions.isEmpty() ? protocol : extensions.getFirst().type();
        byte[] l4 = transportBytes(Checksums.pseudoHeader(ipSource, ipDestination, protocol, transportLength()));
        ByteBuffer b = ByteBuffer.allocate(40 + chain.size() + l4.length);
        b.putInt(0x60000000 | tos << 20 | flowLabel).putShort((short) (chain.size() + l4.length)).put((byte) first)
                .put((byte) ttl).put(ipSource).put(ipDestination).put(chain.toByteArray()).put(l4);
        return b.array();
    }

    private int transportLength() {
        return headerLength() + payload.length;
    }

    private int headerLength() {
        return switch (transport) {
            case NONE, RAW -> 0;
            case UDP, ICMP, ICMPV6 -> 8;
            case TCP -> 20;
            case SCTP -> 12;
        };
    }

    private byte[] transportBytes(long pseudoHeader) {
        ByteBuffer b = ByteBuffer.allocate(transportLength());
        switch (transport) {
            case NONE, RAW -> {
            }
            case UDP -> b.putShort((short) sourcePort).putShort((short) destinationPort).putShort((short) transportLength()).putShort((short) 0);
            case TCP -> b.putShort((short) sourcePort).putShort((short) destinationPort).putInt((int) sequence).putInt((int) acknowledgment)
                    .put((byte) 0x50).put((byte) tcpFlags).putShort((short) window).putShort((short) 0).putShort((short) 0);
            case SCTP -> b.putShort((short) sourcePort).putShort((short) destinationPort).putInt(verificationTag).putInt(0);
            case ICMP, ICMPV6 -> b.put((byte) icmpType).put((byte) icmpCode).putShort((short) 0).putInt(icmpRest);
        }
        b.put(payload);
        byte[] l4 = b.array();
        switch (transport) {
            case UDP -> {
                int c = Checksums.checksum(l4, 0, l4.length, pseudoHeader);
                b.putShort(6, (short) (c == 0 ? 0xffff : c)); // 0 would mean "no checksum"
            }
            case TCP -> b.putShort(16, (short) Checksums.checksum(l4, 0, l4.length, pseudoHeader));
            case ICMPV6 -> b.putShort(2, (short) Checksums.checksum(l4, 0, l4.length, pseudoHeader));
            case ICMP -> b.putShort(2, (short) Checksums.checksum(l4, 0, l4.length));
            case SCTP -> {
                CRC32C crc = new CRC32C();
                crc.update(l4);
                // SCTP stores its CRC32c least significant byte first (RFC 9260 appendix A)
                b.putInt(8, Integer.reverseBytes((int) crc.getValue()));
            }
            case NONE, RAW -> {
            }
        }
        return l4;
    }

    private Frame ports(Transport kind, int number, int source, int destination) {
        if ((source & ~0xffff) != 0 || (destination & ~0xffff) != 0) throw new IllegalArgumentException("ports must be 0..65535");
        requireIp("a transport header");
        startTransport(kind, number);
        sourcePort = source;
        destinationPort = destination;
        return this;
    }

    private Frame icmpHeader(Transport kind, int number, int type, int code) {
        requireIp("an ICMP header");
        startTransport(kind, number);
        icmpType = type & 0xff;
        icmpCode = code & 0xff;
        return this;
    }

    private void startIp(int version, byte[] source, byte[] destination) {
        if (ipVersion != 0 || rawEthertype >= 0) throw new IllegalStateException("the frame already has a network layer");
        ipVersion = version;
        ipSource = source.clone();
        ipDestination = destination.clone();
    }

    private void startTransport(Transport kind, int number) {
        if (transport != Transport.NONE) throw new IllegalStateException("the packet already has a transport header");
        transport = kind;
        protocol = number & 0xff;
    }

    private void requireEthernet(String what) {
        if (sourceMac == null) throw new IllegalStateException(what + " need an Ethernet frame");
    }

    private void requireIp(String what) {
        if (ipVersion == 0) throw new IllegalStateException(what + " needs an IP header first");
    }

    private void requireIpv4(String what) {
        if (ipVersion != 4) throw new IllegalStateException(what + " needs an IPv4 header");
    }

    private void requireIpv6(String what) {
        if (ipVersion != 6) throw new IllegalStateException(what + " needs an IPv6 header");
    }

    private void requireTransport(Transport kind, String what) {
        if (transport != kind) throw new IllegalStateException(what + " needs a " + kind + " header");
    }

    private static byte[] sixteen(InetAddress a) {
        if (a instanceof Inet6Address) return a.getAddress();
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(a.getAddress(), 0, m, 12, 4);
        return m;
    }
}
