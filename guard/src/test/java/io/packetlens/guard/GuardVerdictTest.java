package io.packetlens.guard;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.TestRun;
import io.packetlens.guard.GuardFrames.Named;
import io.packetlens.guard.GuardProgram.Hook;
import io.packetlens.guard.rules.RuleSet;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernel's verdicts against the Java reference ({@link GuardReference}), frame by frame through BPF_PROG_TEST_RUN
 * at both entry points: every header combination of {@link GuardFrames#all()} under two rulesets (default allow with
 * nested prefixes, port ranges, flags, ICMP, VLAN and count rules; default deny), in a dry run too, every frame of a
 * sample cut at every offset, and fragment sequences (denied, allowed, tiny, overlapping, orphan, duplicate). After each
 * run the return value, the reason counters and every YAML rule's counter must have moved exactly as the reference says.
 */
@KernelTest
class GuardVerdictTest {
    private static final List<DropReason> PRIMARY = Arrays.stream(DropReason.values())
            .filter(r -> r.isDrop() || r == DropReason.PASSED || r == DropReason.DROPPED || r == DropReason.NOT_IP || r == DropReason.DRY_RUN_PASSED)
            .toList();

    /** One program and one reference, compared run by run. */
    private static final class Checker implements AutoCloseable {
        final GuardProgram program;
        final GuardReference reference;
        final RuleSet rules;
        final List<String> mismatches = new ArrayList<>();
        Map<DropReason, Count> reasons;
        Map<String, Long> ruleCounts;
        int runs, refused;
        final Map<DropReason, Integer> seen = new HashMap<>();

        Checker(RuleSet rules) {
            this(rules, GuardOptions.unpinned());
        }

        Checker(RuleSet rules, GuardOptions options) {
            this.rules = rules;
            program = GuardProgram.load(rules, options);
            reference = new GuardReference(rules);
            snapshot();
        }

        void snapshot() {
            reasons = program.reasons();
            ruleCounts = new HashMap<>();
            for (var r : program.ruleCounters().rules()) ruleCounts.put(r.name(), r.count().packets());
        }

        void check(Hook hook, String name, byte[] frame) {
            String what = hook + " " + name + " cut at " + frame.length + ": ";
            TestRun.Result r;
            try {
                r = program.program(hook).testRun(TestRun.of(frame));
            } catch (BpfException e) {
                // the skb test-run refuses frames whose fixed IP header is cut (eth_type_trans + ip checks): XDP-only
                if (hook == Hook.TC_INGRESS && e.errno() == Errno.EINVAL && skbRefuses(frame)) {
                    refused++;
                    return;
                }
                mismatches.add(what + e.getMessage());
                return;
            }
            runs++;
            GuardReference.Verdict v = reference.judge(frame);
            seen.merge(v.reason(), 1, Integer::sum);
            boolean dry = rules.dryRun();
            int want = hook == Hook.XDP ? (v.drop() && !dry ? 1 : 2) : (v.drop() && !dry ? 2 : -1);
            if (r.retval() != want) mismatches.add(what + "returned " + r.retval() + ", reference " + v);
            Map<DropReason, Count> before = reasons;
            Map<String, Long> rulesBefore = ruleCounts;
            snapshot();
            for (DropReason d : PRIMARY) {
                long delta = reasons.get(d).packets() - before.get(d).packets();
                long expect = d == v.reason() ? 1 : 0;
                if (d == DropReason.DROPPED && v.drop()) expect = 1;
                if (d == DropReason.PASSED && !v.drop() && v.reason() != DropReason.NOT_IP) expect = 1;
                if (d == DropReason.DRY_RUN_PASSED && v.drop() && dry) expect = 1;
                if (delta != expect) mismatches.add(what + d + " moved by " + delta + ", reference " + v);
            }
            for (var e : ruleCounts.entrySet()) {
                long delta = e.getValue() - rulesBefore.get(e.getKey());
                long expect = v.counted().contains(e.getKey()) ? 1 : 0;
                if (delta != expect) mismatches.add(what + "rule " + e.getKey() + " moved by " + delta + ", reference " + v);
            }
        }

        void assertNoMismatch() {
            assertThat(mismatches).as("%d of %d runs disagree; first: %s", mismatches.size(), runs,
                    mismatches.stream().limit(15).toList()).isEmpty();
        }

        @Override
        public void close() {
            program.close();
        }
    }

    static boolean skbRefuses(byte[] frame) {
        int type = ((frame[12] & 0xff) << 8) | (frame[13] & 0xff);
        return type == 0x0800 && frame.length < 14 + 20 || type == 0x86dd && frame.length < 14 + 40;
    }

    @Test
    void everyHeaderCombinationGetsTheReferenceVerdictUnderBothRulesetsAndInADryRun() {
        List<Named> frames = GuardFrames.all();
        for (RuleSet rules : List.of(RulesReader.parse(GuardFrames.RULES), RulesReader.parse(GuardFrames.STRICT),
                RulesReader.parse(GuardFrames.RULES).dryRun(true))) {
            try (Checker c = new Checker(rules)) {
                for (Hook hook : Hook.JUDGING) for (Named f : frames) c.check(hook, f.name(), f.bytes());
                c.assertNoMismatch();
                assertThat(c.runs).isEqualTo(2 * frames.size());
                if (!rules.dryRun() && rules.defaultAction() == io.packetlens.guard.rules.Action.ALLOW) {
                    // the frames reach what they are meant to: passes, rule drops, and most rules deciding
                    assertThat(c.seen.keySet()).contains(DropReason.PASSED, DropReason.RULE);
                    assertThat(c.program.ruleCounters().rules()).filteredOn(r -> r.count().packets() > 0).hasSizeGreaterThan(10);
                }
            }
        }
    }

    /** The same frames and rulesets with every prefix in the tries: the in-place lists above must agree with them. */
    @Test
    void everyHeaderCombinationGetsTheReferenceVerdictWithThePrefixesInTheTries() {
        List<Named> frames = GuardFrames.all();
        for (RuleSet rules : List.of(RulesReader.parse(GuardFrames.RULES), RulesReader.parse(GuardFrames.STRICT))) {
            try (Checker c = new Checker(rules, GuardOptions.unpinned().inlinePrefixes(0));
                 Checker inPlace = new Checker(rules)) {
                // the default keeps these few prefixes out of the tries; this one puts every one there
                assertThat(inPlace.program.object().map(GuardLayout.SRC).keys()).isEmpty();
                assertThat(inPlace.program.object().map(GuardLayout.DST).keys()).isEmpty();
                CompiledRuleSet compiled = GuardCompiler.compile(rules);
                assertThat(c.program.object().map(GuardLayout.SRC).keys()).hasSize(compiled.sources().size()).isNotEmpty();
                assertThat(c.program.object().map(GuardLayout.DST).keys()).hasSize(compiled.destinations().size());
                for (Hook hook : Hook.JUDGING) for (Named f : frames) c.check(hook, f.name(), f.bytes());
                c.assertNoMismatch();
                assertThat(c.runs).isEqualTo(2 * frames.size());
            }
        }
    }

    @Test
    void framesCutAtEveryOffsetGetTheReferenceVerdict() {
        List<Named> frames = GuardFrames.forTruncation();
        try (Checker c = new Checker(RulesReader.parse(GuardFrames.RULES))) {
            for (Hook hook : Hook.JUDGING) {
                for (Named f : frames) {
                    for (int len = 14; len <= f.bytes().length; len++) c.check(hook, f.name(), Arrays.copyOf(f.bytes(), len));
                }
            }
            c.assertNoMismatch();
            assertThat(c.seen).containsKeys(DropReason.TRUNCATED, DropReason.NOT_IP, DropReason.PASSED);
            assertThat(c.runs).isGreaterThan(frames.size() * 60);
        }
    }

    @Test
    void fragmentSequencesGetTheirFirstFragmentsVerdict() {
        for (Hook hook : Hook.JUDGING) {
            for (String yaml : List.of(GuardFrames.RULES, GuardFrames.STRICT)) {
                try (Checker c = new Checker(RulesReader.parse(yaml))) {
                    for (Named f : GuardFrames.fragmentSequences(1000)) c.check(hook, f.name(), f.bytes());
                    c.assertNoMismatch();
                    if (yaml.equals(GuardFrames.RULES)) {
                        assertThat(c.seen).containsKeys(DropReason.RULE, DropReason.FRAGMENT_OF_DROPPED, DropReason.FRAGMENT_TINY,
                                DropReason.FRAGMENT_OVERLAP, DropReason.FRAGMENT_NO_FIRST, DropReason.PASSED);
                        // the allowed datagrams completed and left the table; the denied ones wait for their timeout
                        assertThat(c.program.tables().getFirst().entries()).isGreaterThan(0);
                    } else {
                        assertThat(c.seen).doesNotContainKey(DropReason.FRAGMENT_NO_FIRST); // fail-open
                    }
                }
            }
        }
    }

    @Test
    void stateRulesJudgeByWhatTheTrackerMakesOfThePacket() {
        // test-run runs the program for real: a passed packet is tracked, so the exchange below builds a connection
        RuleSet rules = RulesReader.parse("""
                default: deny
                rules:
                  - {name: replies, action: allow, state: [established, related]}
                  - {name: web-in, action: allow, protocol: tcp, destination-port: 443, state: new}
                """);
        GuardReference reference = new GuardReference(rules);
        try (GuardProgram g = GuardProgram.load(rules, GuardOptions.unpinned())) {
            record Step(String what, byte[] frame, io.packetlens.guard.rules.ConnectionState state, boolean drop) {}
            String client = "10.10.1.1", server = "192.168.7.20";
            List<Step> steps = List.of(
                    new Step("SYN in to 443", io.packetlens.packet.Frame.ethernet().ipv4(client, server).tcp(40001, 443).tcpFlags(0x02).build(),
                            io.packetlens.guard.rules.ConnectionState.NEW, false),
                    new Step("SYN in to 22", io.packetlens.packet.Frame.ethernet().ipv4(client, server).tcp(40002, 22).tcpFlags(0x02).build(),
                            io.packetlens.guard.rules.ConnectionState.NEW, true),
                    new Step("SYN-ACK from nowhere", io.packetlens.packet.Frame.ethernet().ipv4(client, server).tcp(40003, 80).tcpFlags(0x12).build(),
                            io.packetlens.guard.rules.ConnectionState.INVALID, true),
                    new Step("the 443 client's second SYN: still unanswered", io.packetlens.packet.Frame.ethernet().ipv4(client, server).tcp(40001, 443).tcpFlags(0x02).build(),
                            io.packetlens.guard.rules.ConnectionState.NEW, false),
                    new Step("echo reply nobody asked for", io.packetlens.packet.Frame.ethernet().ipv4(client, server).icmp(0, 0).rest(7, 1).payload(4).build(),
                            io.packetlens.guard.rules.ConnectionState.INVALID, true));
            for (Step s : steps) {
                int ret = g.program(Hook.XDP).testRun(TestRun.of(s.frame())).retval();
                GuardReference.Verdict v = reference.judge(s.frame(), -1, s.state());
                assertThat(v.drop()).as("reference, " + s.what()).isEqualTo(s.drop());
                assertThat(ret).as("kernel, " + s.what()).isEqualTo(s.drop() ? 1 : 2);
            }
            assertThat(g.connections().connections(c -> true)).extracting(io.packetlens.conntrack.Connection::destinationPort)
                    .as("only what passed is tracked").containsExactly(443);
        }
    }
}
