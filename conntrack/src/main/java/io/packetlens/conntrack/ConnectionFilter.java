package io.packetlens.conntrack;

import java.net.InetAddress;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Which connections to show, as {@code conntrack -L} filters them: by either address ({@code -s}, {@code -d} match the
 * original direction's source and destination), a port on either side, the protocol and the state. Unset fields match
 * everything.
 */
public record ConnectionFilter(InetAddress source, InetAddress destination, Integer port, Integer protocol, ConnState state)
        implements Predicate<Connection> {

    public static final ConnectionFilter ALL = new ConnectionFilter(null, null, null, null, null);

    /** A protocol by name (tcp, udp, icmp, icmpv6, sctp) or number. */
    public static int protocol(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tcp" -> 6;
            case "udp" -> 17;
            case "icmp" -> 1;
            case "icmpv6", "ipv6-icmp" -> 58;
            case "sctp" -> 132;
            default -> {
                try {
                    int n = Integer.parseInt(name);
                    if (n < 0 || n > 255) throw new NumberFormatException();
                    yield n;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("unknown protocol '" + name + "': tcp, udp, icmp, icmpv6, sctp or 0-255");
                }
            }
        };
    }

    @Override
    public boolean test(Connection c) {
        return (source == null || source.equals(c.source()))
                && (destination == null || destination.equals(c.destination()))
                && (port == null || port == c.sourcePort() || port == c.destinationPort())
                && (protocol == null || protocol == c.protocol())
                && (state == null || state == c.state());
    }
}
