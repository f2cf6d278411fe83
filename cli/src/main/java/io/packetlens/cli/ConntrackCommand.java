package io.packetlens.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.packetlens.conntrack.ConnState;
import io.packetlens.conntrack.Connection;
import io.packetlens.conntrack.ConnectionFilter;
import io.packetlens.conntrack.ConntrackConfig;
import io.packetlens.conntrack.ConntrackCounter;
import io.packetlens.conntrack.ConntrackEvent;
import io.packetlens.conntrack.ConntrackProgram;
import io.packetlens.ebpf.events.EventSource;
import io.packetlens.ebpf.info.MonotonicClock;
import io.packetlens.ebpf.netns.NetworkNamespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code packetlens conntrack -i IFACE}: tracks connections at TC ingress and egress of an interface, expiring idle
 * ones every second, and lists them when it stops (after {@code --duration} or Ctrl-C), as {@code conntrack -L} would.
 */
@Command(name = "conntrack", mixinStandardHelpOptions = true,
        description = "Track connections in eBPF at TC on an interface; list them, like conntrack -L, when stopped, or watch their events with -E.")
final class ConntrackCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = {"-i", "--interface"}, required = true,
            description = "interface to track at (TC ingress and egress); NETNS/IFACE for one in a named network namespace")
    String iface;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to track; 0 = until Ctrl-C")
    int duration;

    @Option(names = "--table-size", defaultValue = "262144", description = "connections the table holds (default ${DEFAULT-VALUE})")
    int tableSize;

    @Option(names = {"-s", "--src"}, description = "only connections from this original source address")
    String source;

    @Option(names = {"-d", "--dst"}, description = "only connections to this original destination address")
    String destination;

    @Option(names = {"-p", "--proto"}, description = "only this protocol: tcp, udp, icmp, icmpv6, sctp or a number")
    String protocol;

    @Option(names = "--port", description = "only connections with this port on either side")
    Integer port;

    @Option(names = "--state", description = "only connections in this state (established, time_wait, unreplied ...)")
    String state;

    @Option(names = "--json", description = "print the connections and counters as JSON (with -E: one JSON object per event line)")
    boolean json;

    @Option(names = {"-E", "--event"}, description = "print connection events as they happen (new, established, closed: fin, rst, timeout), like conntrack -E")
    boolean watch;

    @Override
    public Integer call() throws Exception {
        ConnectionFilter filter = filter();
        Privileges.requireNetworkBpf("conntrack");
        try (Shutdown shutdown = Shutdown.install();
             ConntrackProgram ct = shutdown.register(ConntrackProgram.load(ConntrackConfig.defaults().tableSize(tableSize).events(watch)))) {
            int slash = iface.indexOf('/');
            if (slash > 0) {
                String ns = iface.substring(0, slash), name = iface.substring(slash + 1);
                NetworkNamespace.of(ns).call(() -> ct.attachTc(name));
            } else {
                ct.attachTc(iface);
            }
            if (!json) System.err.printf("packetlens conntrack: tracking at TC ingress and egress of %s; Ctrl-C to stop%n", iface);
            EventSource events = watch ? ct.openEvents(e -> {
                if (matches(filter, e)) System.out.println(line(e));
            }) : null;
            long end = System.nanoTime() + duration * 1_000_000_000L;
            long nextExpiry = System.nanoTime() + 1_000_000_000L;
            while (!shutdown.requested() && (duration == 0 || System.nanoTime() < end)) {
                long left = duration == 0 ? 200 : Math.min(200, (end - System.nanoTime()) / 1_000_000);
                if (events != null) events.read(Math.max(left, 0));
                else if (left > 0) shutdown.sleep(left);
                if (System.nanoTime() >= nextExpiry) {
                    for (Connection c : ct.expire()) {
                        ConntrackEvent e = ConntrackEvent.timedOut(c, MonotonicClock.nanos());
                        if (watch && matches(filter, e)) System.out.println(line(e));
                    }
                    nextExpiry = System.nanoTime() + 1_000_000_000L;
                }
            }
            ct.detach();
            if (events != null) {
                events.poll();
                var lost = events.losses();
                events.close();
                System.err.println("packetlens conntrack: events lost: " + lost);
                return 0;
            }
            List<Connection> cs = ct.connections(filter);
            Map<ConntrackCounter, Long> counters = ct.counters();
            if (json) System.out.println(json(cs, counters));
            else print(cs, counters);
        }
        return 0;
    }

    /** The filter applies to events by the same fields as to connections. */
    private static boolean matches(ConnectionFilter f, ConntrackEvent e) {
        return (f.source() == null || f.source().equals(e.source())) && (f.destination() == null || f.destination().equals(e.destination()))
                && (f.port() == null || f.port() == e.sourcePort() || f.port() == e.destinationPort())
                && (f.protocol() == null || f.protocol() == e.protocol()) && (f.state() == null || f.state() == e.state());
    }

    private String line(ConntrackEvent e) {
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            o.put("event", e.kind().name().toLowerCase(java.util.Locale.ROOT));
            if (!e.reason().isEmpty()) o.put("reason", e.reason());
            o.put("protocol", e.protocol());
            o.put("state", e.state().name().toLowerCase(java.util.Locale.ROOT));
            o.put("source", e.source().getHostAddress());
            o.put("destination", e.destination().getHostAddress());
            o.put("sourcePort", e.sourcePort());
            o.put("destinationPort", e.destinationPort());
            o.put("seq", e.seq());
            o.put("origPackets", e.origPackets());
            o.put("origBytes", e.origBytes());
            o.put("replyPackets", e.replyPackets());
            o.put("replyBytes", e.replyBytes());
            return o.toString();
        }
        return String.format("[%s]%s proto=%d %s src=%s dst=%s sport=%d dport=%d packets=%d bytes=%d | packets=%d bytes=%d",
                e.kind(), e.reason().isEmpty() ? "" : " " + e.reason(), e.protocol(), e.state(), e.source().getHostAddress(),
                e.destination().getHostAddress(), e.sourcePort(), e.destinationPort(), e.origPackets(), e.origBytes(),
                e.replyPackets(), e.replyBytes());
    }

    private ConnectionFilter filter() {
        try {
            return new ConnectionFilter(source == null ? null : address(source), destination == null ? null : address(destination),
                    port, protocol == null ? null : ConnectionFilter.protocol(protocol), state == null ? null : ConnState.parse(state));
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    private static InetAddress address(String s) {
        try {
            return InetAddress.ofLiteral(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IP address: '" + s + "'");
        }
    }

    private static void print(List<Connection> cs, Map<ConntrackCounter, Long> counters) {
        for (Connection c : cs) {
            StringBuilder b = new StringBuilder();
            b.append(String.format("%-6s %-3d ", c.protocolName(), c.protocol()));
            if (c.protocol() == 6) b.append(String.format("%-11s ", c.state()));
            b.append("src=").append(c.source().getHostAddress()).append(" dst=").append(c.destination().getHostAddress());
            b.append(" sport=").append(c.sourcePort()).append(" dport=").append(c.destinationPort());
            b.append(" packets=").append(c.original().packets()).append(" bytes=").append(c.original().bytes());
            b.append(" | packets=").append(c.reply().packets()).append(" bytes=").append(c.reply().bytes());
            if (!c.seenReply()) b.append(" [UNREPLIED]");
            if (c.assured()) b.append(" [ASSURED]");
            if (c.midstream()) b.append(" [MIDSTREAM]");
            if (c.related()) b.append(" [RELATED]");
            c.closedBy().ifPresent(r -> b.append(" closed=").append(r));
            c.synAckToAck().ifPresent(d -> b.append(String.format(" rtt=%.3fms", d.toNanos() / 1e6)));
            long retrans = c.original().retransmits() + c.reply().retransmits();
            if (retrans > 0) b.append(" retrans=").append(retrans);
            b.append(" zone=").append(c.zone());
            System.out.println(b);
        }
        System.out.printf("packetlens conntrack: %d connection(s) shown; %s%n", cs.size(), counters.entrySet().stream()
                .filter(e -> e.getValue() > 0).map(e -> e.getKey().key() + "=" + e.getValue()).toList());
    }

    private static String json(List<Connection> cs, Map<ConntrackCounter, Long> counters) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("connections");
        for (Connection c : cs) {
            ObjectNode o = list.addObject();
            o.put("protocol", c.protocolName());
            o.put("state", c.state().name().toLowerCase(java.util.Locale.ROOT));
            o.put("source", c.source().getHostAddress());
            o.put("destination", c.destination().getHostAddress());
            o.put("sourcePort", c.sourcePort());
            o.put("destinationPort", c.destinationPort());
            o.put("zone", c.zone());
            direction(o.putObject("original"), c.original());
            direction(o.putObject("reply"), c.reply());
            o.put("seenReply", c.seenReply());
            o.put("assured", c.assured());
            o.put("midstream", c.midstream());
            o.put("related", c.related());
            c.closedBy().ifPresent(r -> o.put("closedBy", r));
            c.synToSynAck().ifPresent(d -> o.put("synToSynAckNs", d.toNanos()));
            c.synAckToAck().ifPresent(d -> o.put("synAckToAckNs", d.toNanos()));
        }
        ObjectNode n = root.putObject("counters");
        counters.forEach((k, v) -> n.put(k.key(), v));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }

    private static void direction(ObjectNode o, Connection.Direction d) {
        o.put("packets", d.packets());
        o.put("bytes", d.bytes());
        o.put("retransmits", d.retransmits());
        o.put("outOfOrder", d.outOfOrder());
        o.put("zeroWindows", d.zeroWindows());
        o.put("tcpFlags", d.tcpFlags());
    }
}
