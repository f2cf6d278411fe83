package io.packetlens.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ProgramSpec;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.asm.Insn;
import io.packetlens.ebpf.info.ProgramInfo;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.guard.Count;
import io.packetlens.guard.DropReason;
import io.packetlens.guard.GuardOptions;
import io.packetlens.guard.GuardProgram;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.lab.Host;


import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The firewalls the guard benchmark compares, each holding the same two rules on the receiving interface: deny UDP
 * from the UDP flood's prefix, and rate-limit TCP SYN (without ACK) per source address. Every one counts its own drops
 * per rule, and those counters are what the benchmark reports.
 */
final class GuardFirewalls {
    private GuardFirewalls() {}

    /** The rule parameters shared by every variant. */
    record Rules(String udpPrefix, long synPerSecond, long synBurst) {
        /** The guard's rules file for them. */
        String guardYaml() {
            return String.format(Locale.ROOT, """
                    default: allow
                    rate-limits:
                      syn-per-source: {per: source, packets-per-second: %d, burst: %d, traffic: syn}
                    rules:
                      - {name: udp-flood-prefix, priority: 10, action: deny, source: [%s], protocol: udp}
                      - {name: syn-per-source, priority: 20, action: rate-limit, limit: syn-per-source, protocol: tcp, tcp-flags: {set: [syn], unset: [ack]}}
                    """, synPerSecond, synBurst, udpPrefix);
        }

        /** The two nftables rules, in the guard's order. */
        List<String> nftRules() {
            return List.of(
                    "ip saddr " + udpPrefix + " ip protocol udp counter drop",
                    String.format(Locale.ROOT, "tcp flags & (syn | ack) == syn meter pl_gb_syn size 65536 "
                            + "{ ip saddr limit rate over %d/second burst %d packets } counter drop", synPerSecond, synBurst));
        }
    }

    /** Drops a firewall has counted: by its UDP rule, by its SYN rule, and in all. */
    record Drops(long udp, long syn, long total) {
        Drops minus(Drops o) {
            return new Drops(udp - o.udp, syn - o.syn, total - o.total);
        }
    }

    /** One variant on the receiving interface. */
    interface Firewall extends AutoCloseable {
        /** Its drops so far, or null for the variant with no firewall. */
        Drops drops() throws Exception;

        /** run_time_ns and run_cnt of its BPF program (counted while BPF statistics are on), or null for nftables. */
        default long[] programStats() throws Exception {
            return null;
        }

        @Override
        void close() throws Exception;
    }

    /** No firewall: the reference. */
    static Firewall none() {
        return new Firewall() {
            @Override
            public Drops drops() {
                return null;
            }

            @Override
            public void close() {
            }
        };
    }

    /** packetlens guard, process-scoped, at XDP (in the interface's XDP chain, driver mode) or TC ingress. */
    static Firewall guard(Host host, String ifname, Rules rules, boolean xdp, Path chainRoot) throws Exception {
        GuardProgram g = GuardProgram.load(RulesReader.parse(rules.guardYaml()), GuardOptions.unpinned().chainRoot(chainRoot));
        try {
            host.run(() -> {
                if (xdp) g.attachXdp(ifname, XdpMode.DRIVER);
                else g.attachTc(ifname);
            });
        } catch (Exception | Error e) {
            g.close();
            throw e;
        }
        return new Firewall() {
            @Override
            public Drops drops() {
                Map<DropReason, Count> r = g.reasons();
                long syn = r.get(DropReason.RATE_LIMITED).packets() + r.get(DropReason.BUCKET_INSERT_RATE).packets()
                        + r.get(DropReason.BUCKET_TABLE_FULL).packets();
                return new Drops(r.get(DropReason.RULE).packets(), syn, r.get(DropReason.DROPPED).packets());
            }

            @Override
            public long[] programStats() throws Exception {
                // at XDP the guard runs behind the chain's dispatcher by tail call, which the kernel counts as the dispatcher's run
                if (xdp) {
                    try (BpfProgram d = BpfProgram.openById(xdpProgramId(host, ifname))) {
                        return runStats(d);
                    }
                }
                return runStats(g.program(GuardProgram.Hook.TC_INGRESS));
            }

            @Override
            public void close() {
                g.close();
            }
        };
    }

    /**
     * The floor of the XDP path: a two-instruction program that drops everything, in driver mode; its drops are the
     * receiving device's own XDP drop count ({@code ethtool -S}). Not a firewall, a reference for what any XDP
     * program pays on this device before its first instruction.
     */
    static Firewall xdpDropAll(Host host, String ifname) throws Exception {
        BpfProgram p = BpfProgram.load(ProgramSpec.of("bench_drop",
                ProgramType.XDP, "GPL", Insn.program(Insn.movImm(0, 1),
                        Insn.exit())).attachType(AttachType.XDP));
        XdpLink link;
        try {
            link = host.call(() -> XdpLink.attach(p, ifname, XdpMode.DRIVER));
        } catch (Exception | Error e) {
            p.close();
            throw e;
        }
        return new Firewall() {
            @Override
            public Drops drops() throws IOException {
                long n = ethtoolSum(host, ifname, "rx_queue_\\d+_xdp_drops");
                return new Drops(0, 0, n);
            }

            @Override
            public long[] programStats() {
                return runStats(p);
            }

            @Override
            public void close() {
                link.close();
                p.close();
            }
        };
    }

    /** nftables: a table of its own in the receiving namespace, its chain at netdev ingress or inet filter input. */
    static Firewall nft(Host host, String ifname, Rules rules, boolean ingress, Path work) throws Exception {
        String family = ingress ? "netdev" : "inet";
        String table = ingress ? "pl_gb_ingress" : "pl_gb_input";
        String hook = ingress ? "type filter hook ingress device \"" + ifname + "\" priority -500; policy accept;"
                : "type filter hook input priority 0; policy accept;";
        StringBuilder b = new StringBuilder("table " + family + " " + table + " {\n  chain " + (ingress ? "ingress" : "input") + " {\n    " + hook + "\n");
        for (String rule : rules.nftRules()) b.append("    ").append(rule).append('\n');
        b.append("  }\n}\n");
        Path file = work.resolve(table + ".nft");
        Files.writeString(file, b.toString());
        host.exec("nft", "-f", file.toString());
        return new Firewall() {
            @Override
            public Drops drops() throws IOException {
                List<Long> c = nftCounters(host.exec("nft", "-j", "list", "table", family, table));
                if (c.size() != 2) throw new IllegalStateException("expected 2 counters in " + family + " " + table + ", found " + c);
                return new Drops(c.get(0), c.get(1), c.get(0) + c.get(1));
            }

            @Override
            public void close() throws IOException {
                host.exec("nft", "delete", "table", family, table);
            }
        };
    }

    /** The text of the nftables ruleset a variant loads (for the report). */
    static String nftText(Rules rules, boolean ingress, String ifname) {
        StringBuilder b = new StringBuilder();
        b.append(ingress ? "table netdev pl_gb_ingress { chain ingress { type filter hook ingress device \"" + ifname + "\" priority -500; policy accept;\n"
                : "table inet pl_gb_input { chain input { type filter hook input priority 0; policy accept;\n");
        for (String r : rules.nftRules()) b.append("    ").append(r).append('\n');
        return b.append("} }\n").toString();
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** run_time_ns and run_cnt of a program. */
    static long[] runStats(BpfProgram p) {
        ProgramInfo info = ProgramInfo.ofFd(p.fd());
        return new long[] {info.runTimeNs(), info.runCount()};
    }

    /** The sum of the device statistics ({@code ethtool -S}) whose names match {@code name}, one per queue; an error if none does. */
    static long ethtoolSum(Host host, String ifname, String name) throws IOException {
        long n = 0;
        boolean found = false;
        for (String line : host.exec("ethtool", "-S", ifname).lines().toList()) {
            String t = line.strip();
            int colon = t.indexOf(':');
            if (colon > 0 && t.substring(0, colon).matches(name)) {
                n += Long.parseLong(t.substring(colon + 1).strip());
                found = true;
            }
        }
        if (!found) throw new IllegalStateException("no statistic " + name + " in ethtool -S " + ifname);
        return n;
    }

    /** The id of the program attached at XDP to the interface, from {@code ip -j link}. */
    static int xdpProgramId(Host host, String ifname) throws IOException {
        JsonNode link = JSON.readTree(host.exec("ip", "-j", "-d", "link", "show", "dev", ifname)).path(0);
        JsonNode prog = link.path("xdp").path("prog");
        if (prog.isMissingNode()) throw new IllegalStateException("no XDP program on " + ifname + ": " + link.path("xdp"));
        return prog.path("id").asInt();
    }

    /** The packets of each rule's counter, in rule order, from {@code nft -j list table ...}. */
    static List<Long> nftCounters(String json) throws IOException {
        List<Long> out = new ArrayList<>();
        for (JsonNode item : JSON.readTree(json).path("nftables")) {
            JsonNode rule = item.get("rule");
            if (rule == null) continue;
            for (JsonNode expr : rule.path("expr")) {
                JsonNode counter = expr.get("counter");
                if (counter != null) out.add(counter.path("packets").asLong());
            }
        }
        return out;
    }
}
