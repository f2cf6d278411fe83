package io.packetlens.monitor.alert;

import io.packetlens.monitor.Addresses;
import io.packetlens.flow.ActiveFlow;
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
 * Evaluates the alert rules after each poll of the flow table. A rule fires once when its
 * condition becomes true for a subject and again only after the condition has been false for
 * a poll, so a sustained flood is one alert, not one per second.
 */
public final class AlertEngine {
    private final List<AlertRule> rules;
    private final Consumer<Alert> sink;
    private final Set<String> firing = new HashSet<>();
    /** Per source: destination port -> last time seen, for port-scan rules. */
    private final Map<InetAddress, Map<Integer, Instant>> portsBySource = new HashMap<>();
    /** (epoch millis, new flows) per evaluation, within the longest new-flow window. */
    private final java.util.ArrayDeque<long[]> newFlowTimes = new java.util.ArrayDeque<>();
    private long fired;

    public AlertEngine(List<AlertRule> rules, Consumer<Alert> sink) {
        this.rules = List.copyOf(rules);
        this.sink = sink;
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
     * @param flows    flows as of this poll, with what each added since the previous poll
     * @param newFlows flows that appeared since the previous poll
     * @param seconds  time since the previous poll
     */
    public synchronized List<Alert> evaluate(List<ActiveFlow> flows, int newFlows, double seconds, Instant now) {
        List<Alert> out = new ArrayList<>();
        Set<String> active = new HashSet<>();
        for (AlertRule rule : rules) {
            switch (rule) {
                case AlertRule.SourcePps r -> {
                    Map<InetAddress, Long> perSource = new HashMap<>();
                    for (ActiveFlow f : flows) perSource.merge(f.key().source(), f.packetsLastInterval(), Long::sum);
                    perSource.forEach((src, packets) -> {
                        double pps = seconds > 0 ? packets / seconds : 0;
                        if (pps > r.threshold()) {
                            fire(out, active, now, r, Addresses.format(src), pps,
                                    String.format("%.0f packets/s from %s (threshold %.0f)", pps, Addresses.format(src), r.threshold()));
                        }
                    });
                }
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
                    for (ActiveFlow f : flows) {
                        if (f.packetsLastInterval() > 0) {
                            portsBySource.computeIfAbsent(f.key().source(), k -> new HashMap<>()).put(f.key().destinationPort(), now);
                        }
                    }
                    Instant horizon = now.minus(r.window());
                    portsBySource.values().forEach(ports -> ports.values().removeIf(t -> t.isBefore(horizon)));
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
