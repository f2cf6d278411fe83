package io.packetlens.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsers for the value forms that configuration keys and command-line flags share: durations, sizes, HOST:PORT. */
public final class ConfigValues {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|KiB|MB|MiB|GB|GiB)?", Pattern.CASE_INSENSITIVE);

    private ConfigValues() {}

    /** {@code 500ms}, {@code 15s}, {@code 2m}, {@code 1h}; zero is refused. */
    public static Duration duration(String key, String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) throw new ConfigException(key, "expected a duration such as 500ms, 15s, 2m or 1h, got '" + text + "'");
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.isZero()) throw new ConfigException(key, "must be longer than zero");
        return d;
    }

    /** {@code 100MB}, {@code 64KiB}, {@code 4096} (bytes); at least {@code min} bytes. */
    public static long size(String key, String text, long min) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) throw new ConfigException(key, "expected a size such as 100MB or 64KiB, got '" + text + "'");
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        long mult = switch (unit) {
            case "KB" -> 1000L; case "KIB" -> 1024L; case "MB" -> 1000_000L; case "MIB" -> 1L << 20;
            case "GB" -> 1000_000_000L; case "GIB" -> 1L << 30; default -> 1L;
        };
        if (n * mult < min) throw new ConfigException(key, "must be at least " + min + " bytes, got '" + text + "'");
        return n * mult;
    }

    /**
     * {@code HOST:PORT} ({@code [v6]:PORT} for IPv6 literals). The host is not resolved here: {@link #resolvedAddress}
     * does that for destinations that must exist before anything is attached.
     */
    public static InetSocketAddress address(String key, String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) throw new ConfigException(key, "expected HOST:PORT such as 127.0.0.1:9464, got '" + text + "'");
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        if (host.isBlank()) throw new ConfigException(key, "expected a host before ':', got '" + text + "'");
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "expected a port number after ':', got '" + text.substring(colon + 1) + "'");
        }
        if (port < 0 || port > 65535) throw new ConfigException(key, "port must be 0..65535, got " + port);
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** Like {@link #address} with the host looked up now: an unknown host is an error naming the key. */
    public static InetSocketAddress resolvedAddress(String key, String text, boolean portZeroAllowed) {
        InetSocketAddress a = address(key, text);
        if (!portZeroAllowed && a.getPort() == 0) throw new ConfigException(key, "port must be 1..65535, got 0");
        InetSocketAddress r = new InetSocketAddress(a.getHostString(), a.getPort());
        if (r.isUnresolved()) throw new ConfigException(key, "unknown host '" + a.getHostString() + "' (it does not resolve)");
        return r;
    }
}
