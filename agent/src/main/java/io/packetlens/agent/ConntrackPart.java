package io.packetlens.agent;

import io.packetlens.conntrack.Connection;
import io.packetlens.conntrack.ConntrackConfig;
import io.packetlens.conntrack.ConntrackProgram;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.flow.Biflow;
import io.packetlens.flow.Direction;
import io.packetlens.flow.EndReason;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowClock;
import io.packetlens.flow.FlowKey;

import java.net.Inet4Address;
import java.util.List;
import java.util.function.Consumer;

/**
 * The agent's connection tracker ({@code conntrack:}): a {@link ConntrackProgram} on the section's interfaces,
 * expired every second. Each connection that leaves the table becomes a bidirectional {@link FinishedFlow} (the
 * initiator's direction, with the responder's half in {@link Biflow}) for the exporters, and is counted into the
 * metrics: handshake round trips as a histogram, retransmissions per direction.
 */
final class ConntrackPart implements AutoCloseable {
    private final ConntrackSection config;
    private final ConntrackProgram program;
    private final FlowClock clock;
    private final long[] rttCounts = new long[ConntrackSnapshot.RTT_BOUNDS.length + 1];
    private double rttSum;
    private long retransmits, reverseRetransmits, finished;

    private ConntrackPart(ConntrackSection config, ConntrackProgram program, FlowClock clock) {
        this.config = config;
        this.program = program;
        this.clock = clock;
    }

    static ConntrackPart load(ConntrackSection config) {
        return new ConntrackPart(config, ConntrackProgram.load(ConntrackConfig.defaults().tableSize(config.tableSize()).timeouts(config.timeouts())), FlowClock.system());
    }

    ConntrackProgram program() {
        return program;
    }

    /** Attaches on every interface, entering each one's network namespace. */
    void attach(List<InterfaceSpec> interfaces) {
        for (InterfaceSpec i : interfaces) {
            i.runIn("attach the connection tracker", () -> {
                if (config.xdp()) program.attachXdp(i.name(), XdpMode.AUTO);
                else program.attachTc(i.name());
            });
        }
    }

    /** Called every second: the expired connections out, as records to {@code sink}. */
    synchronized void tick(Consumer<FinishedFlow> sink) {
        for (Connection c : program.expire()) finish(c, EndReason.IDLE, sink);
    }

    /** At the agent's stop: every connection still in the table, as a record (forced end). */
    synchronized void drain(Consumer<FinishedFlow> sink) {
        program.detach();
        for (Connection c : program.connections()) finish(c, EndReason.END, sink);
    }

    private void finish(Connection c, EndReason reason, Consumer<FinishedFlow> sink) {
        finished++;
        retransmits += c.original().retransmits();
        reverseRetransmits += c.reply().retransmits();
        c.synToSynAck().ifPresent(d -> {
            double s = d.toNanos() / 1e9;
            rttSum += s;
            int b = 0;
            while (b < ConntrackSnapshot.RTT_BOUNDS.length && s > ConntrackSnapshot.RTT_BOUNDS[b]) b++;
            rttCounts[b]++;
        });
        if (config.export()) sink.accept(record(c, reason, clock.wallOffsetNanos()));
    }

    /**
     * The connection as a bidirectional record: the key in the initiator's direction, packets and IP octets each way.
     * The tracker counts IP bytes only, so layer-2 octets, IP length extremes and DSCP are 0; TCP flags are each side's
     * OR of its segments' flags.
     */
    static FinishedFlow record(Connection c, EndReason reason, long wallOffset) {
        boolean icmp = c.protocol() == 1 || c.protocol() == 58;
        int sport = c.sourcePort(), dport = c.destinationPort();
        if (icmp) {
            // FlowKey keeps ICMP type << 8 | code in the destination port: an echo pseudo-connection is keyed by its
            // identifier (both ports), any other ICMP by type << 8 | code in the source port
            boolean echo = sport == dport;
            dport = echo ? (c.source() instanceof Inet4Address ? 8 << 8 : 128 << 8) : sport;
            sport = 0;
        }
        FlowKey key = new FlowKey(c.source(), c.destination(), sport, dport, c.protocol(), c.zone(), c.ifindex(), Direction.INGRESS);
        Biflow bi = new Biflow(c.reply().packets(), c.reply().bytes(), c.reply().tcpFlags(), c.original().retransmits(), c.reply().retransmits(),
                c.synToSynAck().map(java.time.Duration::toNanos).orElse(-1L), c.state().name());
        return new FinishedFlow(key, c.original().packets(), 0, c.original().bytes(), FlowClock.toInstant(c.firstNanos(), wallOffset),
                FlowClock.toInstant(c.lastNanos(), wallOffset), c.firstNanos(), c.lastNanos(), c.original().tcpFlags(), 0, 0, 0, false, reason, false, bi);
    }

    synchronized ConntrackSnapshot snapshot() {
        return new ConntrackSnapshot(program.entries(), program.counters(), rttCounts.clone(), rttSum, retransmits, reverseRetransmits, finished);
    }

    @Override
    public synchronized void close() {
        program.close();
    }
}
