package io.packetlens.export.ipfix;

import java.time.Duration;
import java.util.List;

/**
 * The checked configuration of an IPFIX exporter ({@code type: ipfix}).
 *
 * @param collectors             where every record goes
 * @param templateRefresh        how often templates are resent over UDP
 * @param templateRefreshPackets also resend them over UDP after this many messages (0: only by time)
 * @param mtu                    path MTU towards UDP collectors; messages leave room for the IP and UDP headers
 * @param maxTcpMessage          largest message over TCP (when every collector is TCP)
 * @param observationDomain      the observation domain id in every message header
 * @param connectTimeout         how long a TCP connect may take
 * @param writeTimeout           how long a TCP write may wait for a collector that does not read
 */
public record IpfixSettings(List<Collector> collectors, Duration templateRefresh, int templateRefreshPackets, int mtu,
                            int maxTcpMessage, long observationDomain, Duration connectTimeout, Duration writeTimeout) {
    public static final Duration DEFAULT_TEMPLATE_REFRESH = Duration.ofSeconds(60);
    public static final int DEFAULT_MTU = 1500;
    public static final int DEFAULT_MAX_TCP_MESSAGE = MessageBuilder.MAX_MESSAGE_LENGTH;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(10);

    public IpfixSettings {
        collectors = List.copyOf(collectors);
        if (collectors.isEmpty()) throw new IllegalArgumentException("at least one collector");
    }

    /** Defaults for {@code collectors} in observation domain {@code domain}. */
    public static IpfixSettings defaults(List<Collector> collectors, long domain) {
        return new IpfixSettings(collectors, DEFAULT_TEMPLATE_REFRESH, 0, DEFAULT_MTU, DEFAULT_MAX_TCP_MESSAGE, domain,
                DEFAULT_CONNECT_TIMEOUT, DEFAULT_WRITE_TIMEOUT);
    }

    public IpfixSettings withTemplateRefresh(Duration every, int packets) {
        return new IpfixSettings(collectors, every, packets, mtu, maxTcpMessage, observationDomain, connectTimeout, writeTimeout);
    }

    public IpfixSettings withMtu(int mtu) {
        return new IpfixSettings(collectors, templateRefresh, templateRefreshPackets, mtu, maxTcpMessage, observationDomain, connectTimeout, writeTimeout);
    }

    public IpfixSettings withMaxTcpMessage(int max) {
        return new IpfixSettings(collectors, templateRefresh, templateRefreshPackets, mtu, max, observationDomain, connectTimeout, writeTimeout);
    }

    /**
     * The largest message every collector can take: the MTU less IP and UDP headers for UDP collectors, the TCP maximum
     * for TCP ones. Messages are built once for all collectors, so the smallest limit applies to all.
     */
    public int messageLength() {
        int max = MessageBuilder.MAX_MESSAGE_LENGTH;
        for (Collector c : collectors) {
            max = Math.min(max, c.transport() == Collector.Transport.UDP ? mtu - c.udpOverhead() : maxTcpMessage);
        }
        return max;
    }
}
