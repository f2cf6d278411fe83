package io.packetlens.monitor.alert;

import io.packetlens.flow.Addresses;
import io.packetlens.flow.ActiveFlow;
import io.packetlens.flow.FlowKey;
import io.packetlens.monitor.config.MonitorConfig;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Evaluates the alert rules after each poll of the flow table, fed only the flows that changed
 * in it ({@link #begin}, {@link #observe} per flow, {@link #end}). A rule fires once when its
 * condition becomes true for a subject and again only after the condition has been false for
 * a poll, so a sustained flood is one alert, not one per second.
 */
public final class AlertEngine {
    private final List<AlertRule> rules;
    private final Consumer<Alert> sink;
    private final Set<String> firing = new HashSet<>();
    private final boolean sourcePps;
    private final boolean portScan;
    /** Per source: destination port -> last time seen (epoch ms), for port-scan rules. */
    private final Map<InetAddress, Map<Integer, Long>> portsBySource = new HashMap<>();
    /** Per source: packets in the poll being evaluated, for source-pps rules. */
    private final Map<InetAddress, long[]> packetsBySource = new HashMap<>();
    private Instant now = Instant.EPOCH;
    /** (epoch millis, new flows) per evaluation, within the longest new-flow window. */
    private final java.util.ArrayDeque<long[]> newFlowTimes = new java.util.ArrayDeque<>();
    private long fired;

    public AlertEngine(List<AlertRule> rules, Consumer<Alert> sink) {
        this.rules = List.copyOf(rules);
        this.sink = sink;
        this.sourcePps = this.rules.stream().anyMatch(r -> r instanceof AlertRule.SourcePps);
        this.portScan = this.rules.stream().anyMatch(r -> r instanceof AlertRule.PortScan);
    }

    public static AlertEngine fromConfig(List<MonitorConfig.AlertRuleConfig> configs, Consumer<Alert> sink) {
        return new AlertEngine(configs.stream().map(AlertRule::of).toList(), sink);
    }

    public List<AlertRule> rules() {
        return rules;
    }

    /** Alerts fired so far. */
    public synchronized long fired() {
        return fired;
    }

    /**
     * Evaluates one poll given as a list (see {@link #begin}, {@link #observe}, {@link #end} for the streaming form).
     *
     * @param flows    flows as of this poll, with what each added since the previous poll
     * @param newFlows flows that appeared since the previous poll
     * @param seconds  time since the previous poll
     */
    public synchronized List<Alert> evaluate(List<ActiveFlow> flows, int newFlows, double seconds, Instant now) {
        begin(now);
        for (ActiveFlow f : flows) observe(f.key(), f.packetsLastInterval());
        return end(newFlows, seconds);
    }

    /** True when no rule is configured: the monitor then skips feeding flows in. */
    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** Starts evaluating one poll taken at {@code now}. */
    public synchronized void begin(Instant now) {
        this.now = now;
        packetsBySource.clear();
    }

    /** Feeds one flow that added {@code packets} since the previous poll (flows that added nothing may be left out). */
    public synchronized void observe(FlowKey key, long packets) {
        if (packets <= 0) return;
        if (sourcePps) packetsBySource.computeIfAbsent(key.source(), k -> new long[1])[0] += packets;
        if (portScan) portsBySource.computeIfAbsent(key.source(), k -> new HashMap<>()).put(key.destinationPort(), now.toEpochMilli());
    }

    /** Ends the poll begun by {@link #begin}: judges every rule, fires and returns the alerts that start now. */
    public synchronized List<Alert> end(int newFlows, double seconds) {
        List<Alert> out = new ArrayList<>();
        Set<String> active = new HashSet<>();
        for (AlertRule rule : rules) {
            switch (rule) {
                case AlertRule.SourcePps r -> packetsBySource.forEach((src, packets) -> {
                    double pps = seconds > 0 ? packets[0] / seconds : 0;
                    if (pps > r.threshold()) {
                        fire(out, active, now, r, Addresses.format(src), pps,
                                String.format("%.0f packets/s from %s (threshold %.0f)", pps, Addresses.format(src), r.threshold()));
                    }
                });
                case AlertRule.NewFlowRate r -> {
                    // averaged over the rule's window, so that one new flow between two close polls is not a storm
                    newFlowTimes.addLast(new long[] {now.toEpochMilli(), newFlows});
                    long horizon = now.minus(r.window()).toEpochMilli();
                    while (!newFlowTimes.isEmpty() && newFlowTimes.peekFirst()[0] <= horizon) newFlowTimes.removeFirst();
                    long recent = 0;
                    for (long[] e : newFlowTimes) recent += e[1];
                    double rate = recent / (r.window().toMillis() / 1000.0);
                    if (rate > r.threshold()) {
                        fire(out, active, now, r, "all", rate, String.format("%.0f new flows/s (threshold %.0f)", rate, r.threshold()));
                    }
                }
                case AlertRule.PortScan r -> {
                    long horizon = now.minus(r.window()).toEpochMilli();
                    portsBySource.values().forEach(ports -> ports.values().removeIf(t -> t < horizon));
                    portsBySource.values().removeIf(Map::isEmpty);
                    portsBySource.forEach((src, ports) -> {
                        if (ports.size() > r.threshold()) {
                            fire(out, active, now, r, Addresses.format(src), ports.size(), String.format(
                                    "%s reached %d destination ports within %ds (threshold %.0f)",
                                    Addresses.format(src), ports.size(), r.window().toSeconds(), r.threshold()));
                        }
                    });
                }
            }
        }
        firing.retainAll(active);
        return out;
    }

    private void fire(List<Alert> out, Set<String> active, Instant now, AlertRule rule, String subject, double value, String message) {
        String id = rule.name() + "/" + subject;
        active.add(id);
        if (firing.add(id)) {
            Alert a = new Alert(now, rule.name(), subject, value, rule.threshold(), message);
            fired++;
            out.add(a);
            sink.accept(a);
        }
    }
}
