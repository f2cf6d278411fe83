package io.packetlens.cli;

import io.packetlens.programs.PacketCounter.Count;
import io.packetlens.programs.PacketCounter.Protocol;

import java.util.Map;

/** Renders packet counter totals and per-second rates as a fixed-width text table. */
final class CountTable {
    private CountTable() {}

    static String render(Map<Protocol, Count> now, Map<Protocol, Count> previous, double seconds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-12s %12s %14s %10s %12s%n", "protocol", "packets", "bytes", "pkt/s", "bit/s"));
        Count total = Count.ZERO, totalPrev = Count.ZERO;
        for (Protocol p : Protocol.values()) {
            Count c = now.getOrDefault(p, Count.ZERO);
            Count prev = previous == null ? Count.ZERO : previous.getOrDefault(p, Count.ZERO);
            total = total.plus(c);
            totalPrev = totalPrev.plus(prev);
            if (c.packets() == 0 && p.ordinal() > Protocol.ARP.ordinal()) continue;
            b.append(row(p.label(), c, c.minus(prev), seconds));
        }
        b.append(row("total", total, total.minus(totalPrev), seconds));
        return b.toString();
    }

    private static String row(String label, Count c, Count delta, double seconds) {
        if (seconds <= 0) return String.format("%-12s %12d %14d %10s %12s%n", label, c.packets(), c.bytes(), "-", "-");
        double pps = delta.packets() / seconds;
        double bps = delta.bytes() * 8 / seconds;
        return String.format("%-12s %12d %14d %10.0f %12s%n", label, c.packets(), c.bytes(), pps, human(bps));
    }

    static String human(double bitsPerSecond) {
        if (bitsPerSecond >= 1e9) return String.format("%.2f G", bitsPerSecond / 1e9);
        if (bitsPerSecond >= 1e6) return String.format("%.2f M", bitsPerSecond / 1e6);
        if (bitsPerSecond >= 1e3) return String.format("%.2f k", bitsPerSecond / 1e3);
        return String.format("%.0f", bitsPerSecond);
    }
}
