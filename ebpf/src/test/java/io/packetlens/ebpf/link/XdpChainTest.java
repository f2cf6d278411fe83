package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.LoadOptions;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.XdpAction;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.packet.Frame;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Several programs on one interface's XDP hook through an {@link XdpChain}, with real traffic over the lab's veth pair:
 * members run in slot order and each sees exactly what the ones before it passed; members of another JVM join the same
 * chain; closing a member takes out only its slot; SIGKILL stops a process-scoped member at once (and detaches the
 * dispatcher when nothing else holds the chain); the last member's close removes the dispatcher and the pins; the
 * dispatcher alone passes everything; taken hooks and slots and wrongly loaded programs give clear errors.
 */
@KernelTest
class XdpChainTest {
    static final int GUARD_PORT = 9410, MONITOR_PORT = 9411, PASS_PORT = 9412;
    private static final int PASSED = 0, DROPPED = 1;

    private static Lab lab;
    private static Host a, b;
    private static Path bpffs;
    private static XdpChainOptions options;
    private final List<Process> children = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        lab = Lab.create();
        a = lab.a();
        b = lab.b();
        bpffs = Bpffs.mountPrivate(Path.of("/tmp/pl-chain-" + ProcessHandle.current().pid() + "-bpffs"));
        options = new XdpChainOptions(bpffs.resolve("xdp"), XdpMode.DRIVER);
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
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        }
        List<Path> left = chainDirectories();
        if (!left.isEmpty()) {
            // take out whatever a failed test left, so the next test starts clean; then fail this one
            b.run(() -> {
                try (XdpChain c = XdpChain.open("veth0", options)) {
                    for (XdpChain.SlotInfo s : c.slots()) c.remove(s.slot());
                }
            });
        }
        assertThat(left).as("chain directories left under %s", options.root()).isEmpty();
        Leftovers.assertNothingAttached(b);
    }

    private static List<Path> chainDirectories() throws IOException {
        if (!Files.exists(options.root())) return List.of();
        try (Stream<Path> s = Files.list(options.root())) {
            return s.toList();
        }
    }

    /** chain_test.bpf.o dropping UDP to {@code dropPort} (0: none). */
    private static ObjectSpec member(int dropPort) {
        ObjectSpec spec = ObjectSpec.fromResource(XdpChainTest.class, "/bpf/chain_test.bpf.o");
        spec.variable("drop_port").set(dropPort);
        return spec;
    }

    private static XdpChain.Member join(int slot, int dropPort, XdpChain.Lifetime lifetime) throws Exception {
        return b.call(() -> XdpChain.join("veth0", options, member(dropPort), LoadOptions.defaults(), "chain_drop_port", slot, lifetime));
    }

    private static long count(BpfMap verdicts, int slot) {
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
        return ByteBuffer.wrap(verdicts.lookup(key).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    private static long count(XdpChain.Member m, int slot) {
        return count(m.object().map("chain_verdicts"), slot);
    }

    private static byte[] udp(int port) {
        return Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(40000, port).payload(32).build();
    }

    @Test
    void theDispatcherAlonePassesEverythingAndIsRemovedWithItsPins() throws Exception {
        Path dir;
        try (XdpChain chain = b.call(() -> XdpChain.open("veth0", options))) {
            dir = chain.directory();
            assertThat(dir.getFileName().toString()).endsWith("-veth0");
            assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER)).contains(chain.dispatcherId());
            assertThat(chain.mode()).isEqualTo(XdpMode.DRIVER);
            assertThat(b.call(() -> XdpChain.exists("veth0", options.root()))).isTrue();
            assertThat(a.call(() -> XdpChain.exists("veth0", options.root()))).as("another namespace's veth0").isFalse();
            try (Stream<Path> s = Files.list(dir)) {
                // no pinned member, so the link is not pinned: it dies with the processes holding the chain
                assertThat(s.map(p -> p.getFileName().toString()).sorted()).containsExactly("chain", "meta", "owners");
            }
            assertThat(chain.slots()).isEmpty();
            assertThat(Datagrams.exchange(a, b, PASS_PORT, 40)).isEqualTo(40);
            try (BpfProgram d = BpfProgram.openById(chain.dispatcherId()).orElseThrow()) {
                assertThat(d.name()).isEqualTo("pl_xdp_disp");
                assertThat(d.testRun(TestRun.of(udp(PASS_PORT))).xdpAction()).isEqualTo(XdpAction.PASS);
            }
        }
        assertThat(Files.exists(dir)).isFalse();
        assertThat(b.call(() -> XdpChain.exists("veth0", options.root()))).isFalse();
    }

    @Test
    void membersRunInSlotOrderEachSeeingWhatTheOnesBeforePassed() throws Exception {
        // opened in the reverse of slot order: the slot, not the order of joining, decides
        try (XdpChain.Member monitor = join(XdpChain.SLOT_FLOW, MONITOR_PORT, XdpChain.Lifetime.PROCESS);
             XdpChain.Member guard = join(XdpChain.SLOT_GUARD, GUARD_PORT, XdpChain.Lifetime.PINNED)) {
            XdpChain chain = guard.chain();
            assertThat(chain.slots()).extracting(XdpChain.SlotInfo::slot, XdpChain.SlotInfo::kind).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(10, XdpChain.SlotKind.PINNED),
                    org.assertj.core.groups.Tuple.tuple(20, XdpChain.SlotKind.PROCESS),
                    org.assertj.core.groups.Tuple.tuple(21, XdpChain.SlotKind.END));
            assertThat(chain.slots().get(1).pid()).isEqualTo((int) ProcessHandle.current().pid());
            assertThat(monitor.detachesOnExit()).isTrue();
            assertThat(guard.detachesOnExit()).isFalse();

            // real traffic: 30 to the guard's port (dropped there), 20 to the monitor's (dropped there), 25 through
            assertThat(Datagrams.exchange(a, b, GUARD_PORT, 30)).isZero();
            assertThat(Datagrams.exchange(a, b, MONITOR_PORT, 20)).isZero();
            assertThat(Datagrams.exchange(a, b, PASS_PORT, 25)).isEqualTo(25);
            assertThat(count(guard, DROPPED)).isEqualTo(30);
            assertThat(count(guard, PASSED)).isEqualTo(45);
            assertThat(count(monitor, PASSED) + count(monitor, DROPPED)).as("the monitor sees exactly what the guard passed")
                    .isEqualTo(count(guard, PASSED));
            assertThat(count(monitor, DROPPED)).isEqualTo(20);

            // the same through a test-run of the dispatcher: the verdict is the chain's
            try (BpfProgram d = BpfProgram.openById(chain.dispatcherId()).orElseThrow()) {
                assertThat(d.testRun(TestRun.of(udp(GUARD_PORT)).repeat(7)).xdpAction()).isEqualTo(XdpAction.DROP);
                assertThat(d.testRun(TestRun.of(udp(MONITOR_PORT)).repeat(5)).xdpAction()).isEqualTo(XdpAction.DROP);
                assertThat(d.testRun(TestRun.of(udp(PASS_PORT)).repeat(3)).xdpAction()).isEqualTo(XdpAction.PASS);
            }
            assertThat(count(guard, DROPPED)).isEqualTo(37);
            assertThat(count(guard, PASSED)).isEqualTo(53);
            assertThat(count(monitor, DROPPED)).isEqualTo(25);
            assertThat(count(monitor, PASSED)).isEqualTo(count(guard, PASSED) - count(monitor, DROPPED));

            // closing the process-scoped monitor takes out its slot only; the end moves up behind the guard
            Path dir = chain.directory();
            monitor.close();
            assertThat(chain.slots()).extracting(XdpChain.SlotInfo::slot).containsExactly(10, 11);
            // what the monitor dropped now arrives: it no longer runs
            assertThat(Datagrams.exchange(a, b, MONITOR_PORT, 10)).isEqualTo(10);
            assertThat(count(guard, PASSED)).isEqualTo(63);
            // a pinned member keeps the link pinned
            assertThat(Files.exists(dir.resolve("link"))).isTrue();

            // the last member out: dispatcher detached, pins and directory gone
            guard.remove();
            assertThat(Files.exists(dir)).isFalse();
            Leftovers.assertNothingAttached(b);
        }
    }
}
