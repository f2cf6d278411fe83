package io.packetlens.flow;

import io.packetlens.packet.Decapsulation;
import io.packetlens.packet.IpProtocol;
import io.packetlens.packet.TunnelType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.link.Interfaces;
import io.packetlens.flow.FlowProgram.Hook;
import io.packetlens.flow.Frames.Frame;
import io.packetlens.flow.ReferenceParser.Flow;
import io.packetlens.flow.ReferenceParser.Other;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kernel parser against the Java reference parser: every header combination ({@link Frames#all()}), whole and cut
 * at every offset, run through BPF_PROG_TEST_RUN at each entry point. After each run exactly one entry must exist —
 * the flow-table entry or "other" counter the reference parser names, holding exactly this frame — and the frame must
 * leave the program unchanged and passed on.
 */
@KernelTest
class FlowParserTest {
    private static final int XDP_PASS = 2;
    private static final int TC_ACT_UNSPEC = -1;

    /** Runs frames through one program and records every disagreement with the reference parser. */
    private static final class Checker implements AutoCloseable {
        final FlowProgram program;
        final TableDrain drain;
        final int loopback = Interfaces.index("lo"); // test-run gives XDP and skb programs the loopback device
        final List<String> mismatches = new ArrayList<>();
        int runs;
        int refused;
        final Decapsulation decapsulation;

        Checker(FlowConfig.TableKind kind) {
            this(kind, Decapsulation.DEFAULT);
        }

        Checker(FlowConfig.TableKind kind, Decapsulation d) {
            program = FlowProgram.load(FlowConfig.defaults().tableKind(kind).tableSize(64).otherTableSize(64).decapsulation(d));
            drain = new TableDrain(program);
            decapsulation = d;
        }

        void check(Hook hook, String name, byte[] frame) {
            runs++;
            long t0 = FlowClock.system().monotonicNanos();
            TestRun.Result r;
            try {
                r = program.program(hook).testRun(TestRun.of(frame));
            } catch (BpfException e) {
                if (e.errno() != Errno.EINVAL || hook == Hook.XDP || !skbTestRunRefuses(frame)) {
                    mismatches.add(hook + " " + name + " cut at " + frame.length + ": " + e.getMessage());
                } else {
                    refused++;
                }
                return;
            }
            long t1 = FlowClock.system().monotonicNanos();
            TableDrain.Contents seen = drain.drain();
            String what = hook + " " + name + " cut at " + frame.length + ": ";
            int pass = hook == Hook.XDP ? XDP_PASS : TC_ACT_UNSPEC;
            if (r.retval() != pass) mismatches.add(what + "returned " + r.retval() + ", expected " + pass);
            if (!Arrays.equals(r.dataOut(), frame)) mismatches.add(what + "the program changed the frame");

            ReferenceParser.Result expected = ReferenceParser.parse(frame, loopback, hook.direction(), decapsulation);
            switch (expected) {
                case Flow f -> {
                    if (!seen.others().isEmpty() || seen.flows().size() != 1) {
                        mismatches.add(what + "expected flow " + f.key() + ", kernel has " + seen);
                        return;
                    }
                    Map.Entry<FlowKey, FlowRecord> e = seen.flows().getFirst();
                    FlowRecord got = e.getValue();
                    if (!e.getKey().equals(f.key())) mismatches.add(what + "key " + e.getKey() + ", expected " + f.key());
                    if (got.firstSeenNanos() < t0 || got.firstSeenNanos() > t1) mismatches.add(what + "first seen outside the run");
                    FlowRecord want = f.record(frame.length, got.firstSeenNanos());
                    if (!got.equals(want)) mismatches.add(what + "record " + got + ", expected " + want);
                }
                case Other o -> {
                    Map.Entry<OtherKey, Count> want = Map.entry(o.key(), new Count(1, frame.length));
                    if (!seen.flows().isEmpty() || !seen.others().equals(List.of(want))) {
                        mismatches.add(what + "expected other " + o.key() + ", kernel has " + seen);
                    }
                }
            }
        }

        void assertNoMismatch() {
            assertThat(mismatches).as("%d of %d runs disagree; first: %s", mismatches.size(), runs,
                    mismatches.stream().limit(20).toList()).isEmpty();
            assertThat(program.counters()).as("nothing overflowed").isEqualTo(LossCounters.ZERO);
        }

        @Override
        public void close() {
            drain.close();
            program.close();
        }
    }

    /**
     * BPF_PROG_TEST_RUN for skb programs refuses (EINVAL) an IPv4 or IPv6 frame (by its outer ethertype, as
     * eth_type_trans sets skb->protocol) whose fixed IP header is incomplete; such frames are checked at XDP only.
     */
    static boolean skbTestRunRefuses(byte[] frame) {
        int type = ((frame[12] & 0xff) << 8) | (frame[13] & 0xff);
        return type == ReferenceParser.ETH_P_IP && frame.length < 14 + 20
                || type == ReferenceParser.ETH_P_IPV6 && frame.length < 14 + 40;
    }

    @ParameterizedTest
    @EnumSource(FlowConfig.TableKind.class)
    void everyHeaderCombinationMatchesTheReferenceParser(FlowConfig.TableKind kind) {
        List<Frame> frames = Frames.all();
        try (Checker c = new Checker(kind)) {
            for (Hook hook : Hook.values()) {
                for (Frame f : frames) c.check(hook, f.name(), f.bytes());
            }
            c.assertNoMismatch();
            assertThat(c.runs).isEqualTo(3 * frames.size());
        }
        // the frames really cover what they claim: flows of each kind, fragments, and each reason for "other"
        List<ReferenceParser.Result> results = frames.stream().map(f -> ReferenceParser.parse(f.bytes(), 1, Direction.INGRESS)).toList();
        assertThat(results).filteredOn(r -> r instanceof Flow).hasSizeGreaterThan(400);
        assertThat(results.stream().filter(r -> r instanceof Flow f && f.key().protocol() == IpProtocol.TCP && f.key().sourcePort() == 0)).isNotEmpty();
        for (OtherReason reason : List.of(OtherReason.ETHERTYPE, OtherReason.MALFORMED, OtherReason.EXT_LIMIT)) {
            assertThat(results).anyMatch(r -> r instanceof Other o && o.key().reason() == reason);
        }
        // tunnels of each type, with inner IPv4 and IPv6, their ids, and tunnels left as outer flows
        for (TunnelType t : List.of(TunnelType.VXLAN, TunnelType.GRE, TunnelType.IPIP)) {
            for (boolean v4 : new boolean[]{true, false}) {
                assertThat(results).as("%s with inner IPv%d", t, v4 ? 4 : 6)
                        .anyMatch(r -> r instanceof Flow f && f.key().tunnel().type() == t && f.key().isIpv4() == v4 && f.outer() != null);
            }
        }
        assertThat(results).anyMatch(r -> r instanceof Flow f && f.key().tunnel().equals(Tunnel.vxlan(42)));
        assertThat(results).anyMatch(r -> r instanceof Flow f && f.key().tunnel().equals(Tunnel.gre(0xfedcba98L)));
        assertThat(results).anyMatch(r -> r instanceof Flow f && f.key().tunnel().equals(Tunnel.gre(7)) && f.key().vlan() == 77);
        long outerGre = results.stream().filter(r -> r instanceof Flow f && f.key().protocol() == IpProtocol.GRE).count();
        assertThat(outerGre).as("GRE frames that stay outer flows").isGreaterThanOrEqualTo(3 * 4);
    }

    @Test
    void tunnelsMatchTheReferenceParserWithDecapsulationOffAndOnOtherPorts() {
        List<Frame> frames = Frames.tunnels();
        for (Decapsulation d : List.of(Decapsulation.OFF, new Decapsulation(true, List.of(8472, 4790)))) {
            try (Checker c = new Checker(FlowConfig.TableKind.SHARED, d)) {
                for (Hook hook : Hook.values()) {
                    for (Frame f : frames) c.check(hook, d + " " + f.name(), f.bytes());
                }
                c.assertNoMismatch();
            }
            List<ReferenceParser.Result> results = frames.stream()
                    .map(f -> ReferenceParser.parse(f.bytes(), 1, Direction.INGRESS, d)).toList();
            if (!d.enabled()) {
                assertThat(results).allMatch(r -> !(r instanceof Flow f) || !f.key().tunnel().isTunnel());
            } else {
                // 8472 is VXLAN here, 4789 is not
                for (int i = 0; i < frames.size(); i++) {
                    String name = frames.get(i).name();
                    if (!name.startsWith("VXLAN on 8472") && !name.startsWith("VXLAN 42 IPv4 in IPv4 TCP")) continue;
                    boolean tunnelled = results.get(i) instanceof Flow f && f.key().tunnel().equals(Tunnel.vxlan(42));
                    assertThat(tunnelled).as(name).isEqualTo(name.startsWith("VXLAN on 8472"));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Hook.class)
    void everyFrameCutAtEveryOffsetMatchesTheReferenceParser(Hook hook) {
        List<Frame> frames = Frames.all();
        try (Checker c = new Checker(FlowConfig.TableKind.SHARED)) {
            int refusable = 0;
            for (Frame f : frames) {
                for (int len = ReferenceParser.ETH_HLEN; len <= f.bytes().length; len++) {
                    byte[] cut = Arrays.copyOf(f.bytes(), len);
                    c.check(hook, f.name(), cut);
                    if (skbTestRunRefuses(cut)) refusable++;
                }
            }
            c.assertNoMismatch();
            assertThat(c.runs).isGreaterThan(frames.size() * 40);
            assertThat(c.refused).as("frames the skb test-run refuses").isEqualTo(hook == Hook.XDP ? 0 : refusable);
        }
    }

    @Test
    void framesShorterThanEthernetNeverReachTheProgramAndTheReferenceCallsThemTruncated() {
        byte[] frame = Frames.all().getFirst().bytes();
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableSize(16))) {
            for (int len = 0; len < ReferenceParser.ETH_HLEN; len++) {
                assertThat(ReferenceParser.parse(Arrays.copyOf(frame, len), 1, Direction.INGRESS))
                        .isEqualTo(new Other(new OtherKey(1, Direction.INGRESS, 0, 0, OtherReason.TRUNCATED)));
                if (len == 0) continue; // an empty buffer is not a frame at all
                byte[] cut = Arrays.copyOf(frame, len);
                for (Hook hook : Hook.values()) {
                    assertThatThrownBy(() -> p.program(hook).testRun(TestRun.of(cut)))
                            .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
                }
            }
        }
    }
}
