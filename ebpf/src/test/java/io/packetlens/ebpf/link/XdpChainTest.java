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
            try (BpfProgram d = BpfProgram.openById(chain.dispatcherId())) {
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
            try (BpfProgram d = BpfProgram.openById(chain.dispatcherId())) {
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

    // ---------------------------------------------------------------- another process

    /** A JVM running {@link ChainChild} in b's namespace, with this JVM's class path plus the library and its tests. */
    private Process child(int slot, int dropPort, XdpChain.Lifetime lifetime, Path pinDir) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        String classPath = String.join(File.pathSeparator, System.getProperty("java.class.path"), location(ObjectSpec.class),
                location(ChainChild.class));
        List<String> cmd = List.of("nsenter", "--net=/run/netns/" + b.namespace(), java, "--enable-native-access=ALL-UNNAMED",
                "-cp", classPath, ChainChild.class.getName(), options.root().toString(), "veth0", String.valueOf(slot),
                String.valueOf(dropPort), lifetime.name(), pinDir.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        children.add(p);
        return p;
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** The child's {@code joined <member id> <dispatcher id>} line; fails with the child's output if it never comes. */
    private static int[] awaitJoined(Process p) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        StringBuilder seen = new StringBuilder();
        CompletableFuture<int[]> line = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l; (l = r.readLine()) != null; ) {
                    seen.append(l).append('\n');
                    if (l.startsWith("joined ")) return Arrays.stream(l.substring(7).split(" ")).mapToInt(Integer::parseInt).toArray();
                }
            } catch (IOException e) {
                // reported below with what was seen
            }
            return null;
        });
        int[] ids = line.get(60, TimeUnit.SECONDS);
        if (ids == null) throw new AssertionError("child never joined:\n" + seen);
        return ids;
    }

    private static Path pinDir(String name) throws IOException {
        return Files.createDirectories(bpffs.resolve("child-" + name));
    }

    @Test
    void aMemberInAnotherProcessJoinsTheChainAndStopsTheMomentItIsKilled() throws Exception {
        Path pins = pinDir("kill");
        try (XdpChain.Member guard = join(XdpChain.SLOT_GUARD, GUARD_PORT, XdpChain.Lifetime.PINNED)) {
            Process p = child(XdpChain.SLOT_FLOW, MONITOR_PORT, XdpChain.Lifetime.PROCESS, pins);
            int[] ids = awaitJoined(p);
            XdpChain chain = guard.chain();
            assertThat(ids[1]).as("both processes share one dispatcher").isEqualTo(chain.dispatcherId());
            assertThat(chain.slots()).extracting(XdpChain.SlotInfo::slot, XdpChain.SlotInfo::kind, XdpChain.SlotInfo::pid)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(10, XdpChain.SlotKind.PINNED, 0),
                            org.assertj.core.groups.Tuple.tuple(20, XdpChain.SlotKind.PROCESS, (int) p.pid()),
                            org.assertj.core.groups.Tuple.tuple(21, XdpChain.SlotKind.END, 0));
            try (BpfMap theirs = BpfMap.openPinned(pins.resolve("chain_verdicts"))) {
                assertThat(Datagrams.exchange(a, b, GUARD_PORT, 20)).isZero();
                assertThat(Datagrams.exchange(a, b, MONITOR_PORT, 15)).isZero();
                assertThat(Datagrams.exchange(a, b, PASS_PORT, 10)).isEqualTo(10);
                assertThat(count(guard, DROPPED)).isEqualTo(20);
                assertThat(count(theirs, DROPPED)).isEqualTo(15);
                assertThat(count(theirs, PASSED) + count(theirs, DROPPED)).as("the other process's member sees what the guard passed")
                        .isEqualTo(count(guard, PASSED)).isEqualTo(25);

                p.destroyForcibly(); // SIGKILL: no close(), no shutdown hook
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
                long before = count(theirs, PASSED) + count(theirs, DROPPED);
                // the kernel emptied the killed member's prog array with its last fd: what it dropped now passes at once
                awaitArrives(MONITOR_PORT);
                assertThat(Datagrams.exchange(a, b, MONITOR_PORT, 12)).isEqualTo(12);
                assertThat(count(theirs, PASSED) + count(theirs, DROPPED)).as("the killed member ran no more").isEqualTo(before);
                assertThat(Datagrams.exchange(a, b, GUARD_PORT, 5)).as("the guard still runs").isZero();

                // its stub is still in slot 20 (passing packets on) until a process opens or changes the chain
                assertThat(chain.slots()).filteredOn(si -> si.slot() == 20).singleElement()
                        .satisfies(si -> assertThat(si.alive()).isFalse());
                try (XdpChain again = b.call(() -> XdpChain.open("veth0", options))) {
                    assertThat(again.slots()).extracting(XdpChain.SlotInfo::slot).containsExactly(10, 11);
                }
            }
            guard.remove();
        }
    }

    /** Polls until a datagram to {@code port} gets through (the kernel empties a dead process's prog array in a work item). */
    private static void awaitArrives(int port) throws Exception {
        for (int i = 0; i < 50; i++) {
            if (Datagrams.exchange(a, b, port, 1) == 1) return;
        }
        throw new AssertionError("UDP to " + port + " still dropped");
    }

    @Test
    void whenTheLastProcessHoldingTheChainIsKilledNothingStaysAttached() throws Exception {
        Path pins = pinDir("alone");
        Process p = child(XdpChain.SLOT_FLOW, MONITOR_PORT, XdpChain.Lifetime.PROCESS, pins);
        int[] ids = awaitJoined(p);
        assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER)).contains(ids[1]);
        assertThat(Datagrams.exchange(a, b, MONITOR_PORT, 5)).isZero();
        p.destroyForcibly();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        // its fds were the only references to the dispatcher's link (no pinned member, so no pin): detached
        for (int i = 0; i < 100 && !b.call(() -> XdpLink.query("veth0")).isEmpty(); i++) Thread.sleep(20);
        Leftovers.assertNothingAttached(b);
        assertThat(Datagrams.exchange(a, b, MONITOR_PORT, 5)).isEqualTo(5);
        // the pins stay (nothing attached to them) until the next open, which finds no members and removes them
        assertThat(chainDirectories()).hasSize(1);
        b.run(() -> XdpChain.open("veth0", options).close());
        assertThat(chainDirectories()).isEmpty();
    }

    @Test
    void aPinnedMemberOutlivesItsProcessUntilRemoved() throws Exception {
        Path pins = pinDir("pinned");
        Process p = child(XdpChain.SLOT_GUARD, GUARD_PORT, XdpChain.Lifetime.PINNED, pins);
        int[] ids = awaitJoined(p);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        try (BpfMap theirs = BpfMap.openPinned(pins.resolve("chain_verdicts"))) {
            assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER)).contains(ids[1]);
            assertThat(Datagrams.exchange(a, b, GUARD_PORT, 8)).isZero();
            assertThat(count(theirs, DROPPED)).isEqualTo(8);
            try (XdpChain chain = b.call(() -> XdpChain.open("veth0", options))) {
                assertThat(Files.exists(chain.directory().resolve("link"))).as("the link is pinned while a pinned member exists").isTrue();
                assertThat(chain.slots()).extracting(XdpChain.SlotInfo::slot, XdpChain.SlotInfo::kind, XdpChain.SlotInfo::programId)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple(10, XdpChain.SlotKind.PINNED, ids[0]),
                                org.assertj.core.groups.Tuple.tuple(11, XdpChain.SlotKind.END, chain.slots().get(1).programId()));
                chain.remove(XdpChain.SLOT_GUARD);
                assertThat(chain.slots()).isEmpty();
                assertThat(Files.exists(chain.directory().resolve("link"))).isFalse();
            }
        }
        assertThat(Datagrams.exchange(a, b, GUARD_PORT, 4)).isEqualTo(4);
    }

    @Test
    void aProcessScopedMemberInAnotherProcessTakesOutOnlyItsSlotOnClose() throws Exception {
        Path pins = pinDir("close");
        try (XdpChain.Member guard = join(XdpChain.SLOT_GUARD, GUARD_PORT, XdpChain.Lifetime.PROCESS)) {
            Process p = child(XdpChain.SLOT_FLOW, MONITOR_PORT, XdpChain.Lifetime.PROCESS, pins);
            awaitJoined(p);
            assertThat(guard.chain().slots()).extracting(XdpChain.SlotInfo::slot).containsExactly(10, 20, 21);
            try (OutputStream in = p.getOutputStream()) {
                in.write("close\n".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(guard.chain().slots()).extracting(XdpChain.SlotInfo::slot).containsExactly(10, 11);
            assertThat(Datagrams.exchange(a, b, MONITOR_PORT, 6)).isEqualTo(6);
            assertThat(Datagrams.exchange(a, b, GUARD_PORT, 6)).isZero();
        }
        // the guard was the last member: closing it removed everything (checked after each test)
    }

    // ---------------------------------------------------------------- errors

    @Test
    void aDirectlyAttachedProgramKeepsTheChainOutWithAClearError() throws Exception {
        try (BpfObject other = ObjectSpec.fromResource(XdpChainTest.class, "/bpf/xdp_test.bpf.o").load();
             XdpLink direct = b.call(() -> XdpLink.attach(other.program("xdp_pass_all"), "veth0", XdpMode.DRIVER))) {
            assertThatThrownBy(() -> b.call(() -> XdpChain.open("veth0", options)))
                    .isInstanceOf(BpfException.class)
                    .hasMessageContaining("cannot attach the XDP chain dispatcher to veth0")
                    .hasMessageContaining("taken by program 'xdp_pass_all'")
                    .hasMessageContaining("put that program into the chain too");
            assertThat(chainDirectories()).as("nothing half made").isEmpty();
            assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER)).contains(direct.programId());
        }
    }

    @Test
    void theChainKeepsDirectAttachmentsOutAndRefusesWronglyLoadedMembers() throws Exception {
        try (XdpChain chain = b.call(() -> XdpChain.open("veth0", options));
             BpfObject other = ObjectSpec.fromResource(XdpChainTest.class, "/bpf/xdp_test.bpf.o").load();
             XdpChain.Member guard = join(XdpChain.SLOT_GUARD, GUARD_PORT, XdpChain.Lifetime.PROCESS)) {
            // the hook is the dispatcher's
            assertThatThrownBy(() -> b.call(() -> XdpLink.attach(other.program("xdp_pass_all"), "veth0", XdpMode.DRIVER)))
                    .isInstanceOf(BpfException.class).hasMessageContaining("taken by program 'pl_xdp_disp'")
                    .hasMessageContaining("put the program into the chain");
            // a taken slot names its member and owner
            assertThatThrownBy(() -> join(XdpChain.SLOT_GUARD, 0, XdpChain.Lifetime.PROCESS))
                    .isInstanceOf(BpfException.class)
                    .hasMessageContaining("slot 10 of the XDP chain of veth0 is taken by chain_drop_port")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid());
            // loaded for slot 10, installed in 30: its PL_XDP_CHAIN_NEXT would start at the wrong place
            try (BpfObject for10 = XdpChain.prepare(member(0), 10).load(chain.loadOptions(LoadOptions.defaults()))) {
                assertThatThrownBy(() -> chain.install(for10.program("chain_drop_port"), 30, XdpChain.Lifetime.PROCESS))
                        .isInstanceOf(BpfException.class).hasMessageContaining("was loaded for slot 10, not slot 30");
            }
            // prepared but loaded with its own pl_xdp_chain instead of the chain's
            try (BpfObject own = XdpChain.prepare(member(0), 30).load()) {
                assertThatThrownBy(() -> chain.install(own.program("chain_drop_port"), 30, XdpChain.Lifetime.PROCESS))
                        .isInstanceOf(BpfException.class).hasMessageContaining("loaded with another pl_xdp_chain");
            }
            // not prepared at all
            try (BpfObject unprepared = member(0).load(chain.loadOptions(LoadOptions.defaults()))) {
                assertThatThrownBy(() -> chain.install(unprepared.program("chain_drop_port"), 30, XdpChain.Lifetime.PROCESS))
                        .isInstanceOf(BpfException.class).hasMessageContaining("was loaded for no slot");
            }
            // an object built without the header
            assertThatThrownBy(() -> XdpChain.prepare(ObjectSpec.fromResource(XdpChainTest.class, "/bpf/xdp_test.bpf.o"), 30))
                    .isInstanceOf(BpfException.class).hasMessageContaining("declares no map pl_xdp_chain")
                    .hasMessageContaining("packetlens_chain.h");
            assertThatThrownBy(() -> chain.install(other.program("xdp_pass_all"), 64, XdpChain.Lifetime.PROCESS))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..63");
            // none of that changed the chain
            assertThat(chain.slots()).extracting(XdpChain.SlotInfo::slot).containsExactly(10, 11);
            assertThat(Datagrams.exchange(a, b, GUARD_PORT, 3)).isZero();
        }
    }
}
