package io.packetlens.monitor.view;

import io.packetlens.flow.Addresses;
import io.packetlens.flow.ActiveFlow;
import io.packetlens.flow.Count;
import io.packetlens.flow.FlowAggregator;
import io.packetlens.flow.FlowKey;
import io.packetlens.monitor.MonitorSnapshot;
import io.packetlens.monitor.TrafficLabels;
import io.packetlens.monitor.config.MonitorConfig;

import java.net.Inet6Address;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Renders the live top-flows view as plain text: a header with totals and loss counters, then
 * the busiest flows of the last interval by bytes or packets per second. Pure function of a
 * snapshot, so it is tested as a text snapshot; the command clears the screen between frames.
 */
public final class TopView {
    private TopView() {}

    public static String render(MonitorSnapshot s, MonitorConfig.View view, IntFunction<String> ifNames) {
        StringBuilder b = new StringBuilder();
        FlowAggregator.Totals t = s.totals();
        Count all = t.allTraffic();
        b.append(String.format("packetlens flows   %d active / %d table   %d flows seen   %s packets   %s bytes%n",
                t.activeFlows(), s.tableCapacity(), t.flows(), si(all.packets()), si(all.bytes())));
        b.append(String.format("losses: table full %d pkts, other table full %d pkts, events lost %d%s   alerts %d%n",
                t.losses().tableFull().packets(), t.losses().otherFull().packets(), t.losses().eventsLost().packets(),
                s.inFallback() ? ", ring drops " + t.losses().ringDrops() : "", s.alerts()));
        if (s.inFallback()) b.append("FALLBACK: counting from AF_PACKET in user space, not in the kernel (see the warning at start)\n");
        b.append(String.format("%-3s %-41s %-41s %-7s %-12s %10s %10s %10s %10s%n",
                "#", "source", "destination", "proto", "iface/dir", "pkt/s", "bit/s", "packets", "bytes"));
        Comparator<ActiveFlow> order = view.sortBy() == MonitorConfig.View.SortBy.PACKETS
                ? Comparator.comparingLong(ActiveFlow::packetsLastInterval).thenComparingLong(ActiveFlow::packets)
                : Comparator.comparingLong(ActiveFlow::bytesLastInterval).thenComparingLong(ActiveFlow::bytes);
        List<ActiveFlow> top = s.topFlows().stream().sorted(order.reversed()).limit(view.top()).toList();
        double sec = s.intervalSeconds() > 0 ? s.intervalSeconds() : 1;
        int rank = 1;
        for (ActiveFlow f : top) {
            FlowKey k = f.key();
            String proto = TrafficLabels.protocolName(k.protocol());
            boolean ports = k.protocol() == 6 || k.protocol() == 17 || k.protocol() == 132;
            // a tunnel's inner flow says which tunnel at the end of its row, so that plain rows keep their width
            b.append(String.format("%-3d %-41s %-41s %-7s %-12s %10.0f %10s %10s %10s%s%n", rank++,
                    endpoint(Addresses.format(k.source()), k.source() instanceof Inet6Address, ports ? k.sourcePort() : -1),
                    endpoint(Addresses.format(k.destination()), k.destination() instanceof Inet6Address, ports ? k.destinationPort() : -1),
                    proto + (k.vlan() != 0 ? "/" + k.vlan() : ""),
                    ifNames.apply(k.ifindex()) + "/" + (k.direction().code() == 0 ? "in" : "out"),
                    f.packetsLastInterval() / sec, si(f.bytesLastInterval() * 8 / sec), si(f.packets()), si(f.bytes()),
                    k.tunnel().isTunnel() ? "  in " + k.tunnel() : ""));
        }
        if (top.isEmpty()) b.append("(no flows yet)").append(System.lineSeparator());
        return b.toString();
    }

    private static String endpoint(String host, boolean v6, int port) {
        if (port < 0) return host;
        return v6 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** 1234567 -> "1.23M": compact numbers for narrow columns. */
    static String si(double v) {
        if (v >= 1e9) return String.format("%.2fG", v / 1e9);
        if (v >= 1e6) return String.format("%.2fM", v / 1e6);
        if (v >= 1e4) return String.format("%.1fk", v / 1e3);
        return String.format("%.0f", v);
    }
}
