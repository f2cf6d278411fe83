package io.packetlens.export.ipfix;

import io.packetlens.config.ConfigNode;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One collector an IPFIX exporter sends to: {@code udp://HOST:PORT} or {@code tcp://HOST:PORT} ({@code [v6]:PORT} for
 * IPv6 literals), its host resolved when the configuration is read.
 */
public record Collector(Transport transport, InetSocketAddress address) {
    /** How messages travel to a collector. */
    public enum Transport { UDP, TCP }

    private static final Pattern URL = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://(.*)");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[^\\]]+]|[^:\\[\\]]+):([^:]*)");

    /** Bytes of IP and UDP headers in front of a message (what the MTU must also carry). */
    public int udpOverhead() {
        return (address.getAddress() instanceof Inet6Address ? 40 : 20) + 8;
    }

    /** Reads {@code udp://HOST:PORT} or {@code tcp://HOST:PORT} from a configuration value; errors name its key. */
    public static Collector parse(ConfigNode node) {
        String text = node.string().trim();
        Matcher url = URL.matcher(text);
        if (!url.matches()) throw node.error("expected udp://HOST:PORT or tcp://HOST:PORT, got '" + text + "'");
        Transport transport = switch (url.group(1).toLowerCase(Locale.ROOT)) {
            case "udp" -> Transport.UDP;
            case "tcp" -> Transport.TCP;
            default -> throw node.error("unknown transport '" + url.group(1) + "' in '" + text + "' (known: udp, tcp)");
        };
        Matcher hp = HOST_PORT.matcher(url.group(2));
        if (!hp.matches()) throw node.error("expected HOST:PORT after " + url.group(1) + "://, got '" + url.group(2) + "'");
        String host = hp.group(1).startsWith("[") ? hp.group(1).substring(1, hp.group(1).length() - 1) : hp.group(1);
        int port;
        try {
            port = Integer.parseInt(hp.group(2));
        } catch (NumberFormatException e) {
            throw node.error("expected a port number after '" + hp.group(1) + ":', got '" + hp.group(2) + "'");
        }
        if (port < 1 || port > 65535) throw node.error("port must be 1..65535, got " + port);
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) throw node.error("unknown host '" + host + "' (it does not resolve)");
        return new Collector(transport, address);
    }

    @Override
    public String toString() {
        String host = address.getAddress().getHostAddress();
        return transport.name().toLowerCase(Locale.ROOT) + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
