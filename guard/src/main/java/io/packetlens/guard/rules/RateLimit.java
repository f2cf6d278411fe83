package io.packetlens.guard.rules;

import java.time.Duration;

/**
 * A named token-bucket limiter ({@code rate-limits:} of a ruleset), applied per source address or per source prefix:
 * a source may send {@code packetsPerSecond} (with bursts of {@code burstPackets}) and {@code bytesPerSecond} (bursts
 * of {@code burstBytes}) of the {@code traffic} it covers; beyond that its packets are dropped, and with a {@code ban}
 * it is dropped entirely for that long. 0 for a rate means "not limited by this measure".
 *
 * @param prefixV4 the source prefix length sources are grouped by for IPv4 (32: per address)
 * @param prefixV6 the same for IPv6 (128: per address; 64 is a typical site)
 */
public record RateLimit(String name, long packetsPerSecond, long burstPackets, long bytesPerSecond, long burstBytes,
                        Traffic traffic, int prefixV4, int prefixV6, Duration ban) {
    /** Which packets a limiter counts. */
    public enum Traffic { ALL, SYN, UDP, ICMP }

    public RateLimit {
        if (packetsPerSecond <= 0 && bytesPerSecond <= 0) throw new IllegalArgumentException("a limiter needs packets-per-second or bytes-per-second");
        if (prefixV4 < 1 || prefixV4 > 32 || prefixV6 < 1 || prefixV6 > 128) throw new IllegalArgumentException("prefix lengths out of range");
    }
}
