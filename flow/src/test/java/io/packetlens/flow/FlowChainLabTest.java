package io.packetlens.flow;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.LoadOptions;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.XdpAction;
import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.XdpChain;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.packet.Frame;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The flow monitor sharing an interface's XDP hook with a guard (test_guard.bpf.c, standing in for the real one:
 * drops UDP to one port) through the interface's {@link XdpChain}, with real traffic: the monitor counts exactly what
 * the guard passed and nothing it dropped, in one process and with the monitor in another JVM; SIGKILL of the
 * monitor's process takes its member out of the running chain at once while the guard goes on.
 */
@KernelTest
class FlowChainLabTest {
    static final int DROP_PORT = 9420, PASS_PORT = 9421;
    private static Lab lab;
    private static Host a, b;
    private static Path bpffs;
    private static XdpSharing sharing;
    private Process child;

    @BeforeAll
    static void setUp() throws Exception {
        lab = Lab.create();
        a = lab.a();
        b = lab.b();
        bpffs = Bpffs.mountPrivate(Path.of("/tmp/pl-chain-" + ProcessHandle.current().pid() + "-flow-bpffs"));
        sharing = XdpSharing.AUTO.root(bpffs.resolve("xdp"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        try {
            if (lab != null) lab.close();
        } finally {
            if (bpffs != null) {
                Bpffs.unmount(bpffs);
                Files.deleteIfExists(bpffs);
            }
        }
    }

    @AfterEach
    void nothingLeft() throws Exception {
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(20, TimeUnit.SECONDS);
        }
        List<Path> left;
        try (Stream<Path> s = Files.list(sharing.chain().root())) {
            left = s.toList();
        }
        if (!left.isEmpty()) {
            b.run(() -> {
                try (XdpChain c = XdpChain.open("veth0", sharing.chain())) {
                    for (XdpChain.SlotInfo si : c.slots()) c.remove(si.slot());
                }
            });
        }
        assertThat(left).as("chain directories left").isEmpty();
        assertThat(b.call(() -> XdpLink.query("veth0")).isEmpty()).as("XDP left on b's veth0").isTrue();
    }

    private static XdpChain.Member guard() throws Exception {
        ObjectSpec spec = ObjectSpec.fromResource(FlowChainLabTest.class, "/bpf/test_guard.bpf.o");
        spec.variable("drop_port").set(DROP_PORT);
        return b.call(() -> XdpChain.join("veth0", sharing.chain().mode(XdpMode.DRIVER), spec, LoadOptions.defaults(), "test_guard",
                XdpChain.SLOT_GUARD, XdpChain.Lifetime.PINNED));
    }

    private static long guardCount(XdpChain.Member guard, int slot) {
        BpfMap m = guard.object().map("guard_verdicts");
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
        return ByteBuffer.wrap(m.lookup(key).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    private static long udpPackets(FlowProgram flows, boolean ipv4, int port) {
        return flows.flows().entrySet().stream()
                .filter(e -> e.getKey().protocol() == 17 && e.getKey().isIpv4() == ipv4 && (port < 0 || e.getKey().destinationPort() == port))
                .mapToLong(e -> e.getValue().packets()).sum();
    }

    @Test
    void theMonitorCountsExactlyWhatTheGuardPassedAndNothingItDropped() throws Exception {
        FlowConfig config = FlowConfig.defaults().hooks(EnumSet.of(FlowProgram.Hook.XDP)).xdpSharing(sharing);
        try (FlowProgram flows = FlowProgram.load(config)) {
            assertThat(b.call(() -> flows.chains("veth0"))).as("AUTO without a chain: attach alone").isFalse();
            try (XdpChain.Member guard = guard()) {
                assertThat(b.call(() -> flows.chains("veth0"))).as("AUTO with the guard's chain: join it").isTrue();
                Link member = b.call(() -> flows.attachXdpShared(null, "veth0", XdpMode.DRIVER));
                assertThat(member).isInstanceOf(XdpChain.Member.class);
                assertThat(((XdpChain.Member) member).slot()).isEqualTo(XdpChain.SLOT_FLOW);
                assertThat(guard.chain().slots()).extracting(XdpChain.SlotInfo::slot, XdpChain.SlotInfo::name)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple(10, "test_guard"),
                                org.assertj.core.groups.Tuple.tuple(20, "flow_xdp"), org.assertj.core.groups.Tuple.tuple(21, "pl_xdp_end"));

                Traffic.udp(a, b, false, 300, 64, DROP_PORT);
                Traffic.udp(a, b, false, 200, 64, PASS_PORT);
                Traffic.udp(a, b, true, 100, 64, PASS_PORT); // IPv6: the guard passes it on uncounted
                Traffic.ping(a, b, false, 3);

                assertThat(guardCount(guard, 1)).as("dropped by the guard").isEqualTo(300);
                assertThat(guardCount(guard, 0)).as("IPv4 UDP the guard passed").isEqualTo(200);
                assertThat(udpPackets(flows, true, DROP_PORT)).as("the monitor never saw what the guard dropped").isZero();
                assertThat(udpPackets(flows, true, PASS_PORT)).isEqualTo(200);
                assertThat(udpPackets(flows, true, -1)).as("all IPv4 UDP the monitor counted").isEqualTo(guardCount(guard, 0));
                assertThat(udpPackets(flows, false, PASS_PORT)).isEqualTo(100);
                assertThat(flows.flows().entrySet().stream().filter(e -> e.getKey().protocol() == 1).mapToLong(e -> e.getValue().packets()).sum())
                        .isEqualTo(3);
                assertThat(flows.counters()).isEqualTo(LossCounters.ZERO);

                // the chain's verdict through a test-run of its dispatcher, and the flow table counts it too
                try (BpfProgram d = BpfProgram.openById(guard.chain().dispatcherId())) {
                    byte[] pass = Frame.ethernet().ipv4("10.9.0.1", "10.9.0.2").udp(40000, PASS_PORT).payload(18).build();
                    byte[] drop = Frame.ethernet().ipv4("10.9.0.1", "10.9.0.2").udp(40000, DROP_PORT).payload(18).build();
                    assertThat(d.testRun(TestRun.of(pass).repeat(10)).xdpAction()).isEqualTo(XdpAction.PASS);
                    assertThat(d.testRun(TestRun.of(drop).repeat(10)).xdpAction()).isEqualTo(XdpAction.DROP);
                }
                assertThat(udpPackets(flows, true, PASS_PORT)).isEqualTo(210);
                assertThat(udpPackets(flows, true, DROP_PORT)).isZero();

                // the monitor's member is process-scoped: closing it (here: detaching the program) takes out slot 20 only
                flows.detachAll();
                assertThat(guard.chain().slots()).extracting(XdpChain.SlotInfo::slot).containsExactly(10, 11);
                guard.remove();
            }
        }
    }

    // ---------------------------------------------------------------- the monitor in another JVM

    private Process startMonitor() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        child = new ProcessBuilder("nsenter", "--net=/run/netns/" + b.namespace(), java, "--enable-native-access=ALL-UNNAMED",
                "-cp", cp, FlowChainChild.class.getName(), sharing.chain().root().toString(), "veth0").redirectErrorStream(true).start();
        return child;
    }

    /** The next line from the child starting with {@code prefix}, split after it; fails with what it printed if none comes. */
    private static String[] await(BufferedReader out, Process p, String prefix) throws Exception {
        StringBuilder seen = new StringBuilder();
        CompletableFuture<String[]> line = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l; (l = out.readLine()) != null; ) {
                    seen.append(l).append('\n');
                    if (l.startsWith(prefix + " ")) return l.substring(prefix.length() + 1).split(" ");
                }
            } catch (IOException e) {
                // reported below
            }
            return null;
        });
        String[] r = line.get(60, TimeUnit.SECONDS);
        if (r == null) throw new AssertionError("the monitor process never printed '" + prefix + "' (alive: " + p.isAlive() + "):\n" + seen);
        return r;
    }

    @Test
    void theMonitorInAnotherProcessCountsWhatTheGuardPassedAndLeavesTheChainWhenKilled() throws Exception {
        Process p = startMonitor(); // first: with CHAIN it makes the chain, which the guard then joins before it
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        PrintStream in = new PrintStream(p.getOutputStream(), true);
        String[] joined = await(out, p, "joined");
        int memberId = Integer.parseInt(joined[0]);
        try (XdpChain.Member guard = guard()) {
            // the guard joined in front of the monitor: the dispatcher the monitor made (its tries starting at slot 20) was
            // replaced behind the same link by one starting at the guard's slot, and both processes see the new one
            assertThat(guard.chain().dispatcherId()).isNotEqualTo(Integer.parseInt(joined[1]));
            assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER)).contains(guard.chain().dispatcherId());
            assertThat(guard.chain().slots()).extracting(XdpChain.SlotInfo::slot, XdpChain.SlotInfo::pid, XdpChain.SlotInfo::programId)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(10, 0, guard.programId()),
                            org.assertj.core.groups.Tuple.tuple(20, (int) p.pid(), memberId),
                            org.assertj.core.groups.Tuple.tuple(21, 0, guard.chain().slots().get(2).programId()));

            Traffic.udp(a, b, false, 250, 64, DROP_PORT);
            Traffic.udp(a, b, false, 180, 64, PASS_PORT);
            in.println("report " + PASS_PORT);
            String[] counts = await(out, p, "count");
            assertThat(Long.parseLong(counts[0])).isEqualTo(180);
            assertThat(Long.parseLong(counts[1])).as("all IPv4 UDP the other process counted").isEqualTo(guardCount(guard, 0)).isEqualTo(180);
            assertThat(guardCount(guard, 1)).isEqualTo(250);
            in.println("report " + DROP_PORT);
            assertThat(Long.parseLong(await(out, p, "count")[0])).as("nothing the guard dropped").isZero();

            // SIGKILL: the kernel empties the member's prog array with the process's last fd, so the flow program is
            // out of the running chain at once (and freed: nothing holds it any more); the guard goes on
            p.destroyForcibly();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 250 && BpfProgram.findById(memberId).map(x -> {
                x.close();
                return true;
            }).orElse(false); i++) Thread.sleep(20);
            assertThat(BpfProgram.findById(memberId)).as("the killed monitor's program").isEmpty();
            Traffic.udp(a, b, false, 40, 64, DROP_PORT);
            assertThat(guardCount(guard, 1)).isEqualTo(290);
            assertThat(guard.chain().slots()).filteredOn(si -> si.slot() == 20).singleElement()
                    .satisfies(si -> assertThat(si.alive()).as("its stub stays until the chain is next opened").isFalse());
            b.run(() -> XdpChain.open("veth0", sharing.chain()).close());
            assertThat(guard.chain().slots()).extracting(XdpChain.SlotInfo::slot).containsExactly(10, 11);
            guard.remove();
        }
    }

    @Test
    void aMonitorThatMustAttachAloneNamesTheChainThatHasTheHook() throws Exception {
        FlowConfig config = FlowConfig.defaults().hooks(EnumSet.of(FlowProgram.Hook.XDP)).xdpSharing(XdpSharing.DIRECT.root(sharing.chain().root()));
        try (FlowProgram flows = FlowProgram.load(config); XdpChain.Member guard = guard()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.call(() -> flows.attachXdpShared(null, "veth0", XdpMode.DRIVER)))
                    .hasMessageContaining("taken by program 'pl_xdp_disp'");
            assertThat(guard.chain().slots()).extracting(XdpChain.SlotInfo::slot).containsExactly(10, 11);
            guard.remove();
        }
    }
}
