package io.packetlens.flow;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.testkit.KernelTest;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pinned tables and links: a second process (here a second program and aggregator on the same pins) carries on where
 * the first stopped, its records adding up to exactly what the kernel counted; tables of another layout or size are
 * refused before anything is loaded.
 */
@KernelTest
class FlowPinsTest {
    private final Path mount = Path.of("/tmp/pl-flowpins-" + ProcessHandle.current().pid());
    private Path dir;

    @BeforeEach
    void mount() throws Exception {
        Bpffs.mountPrivate(mount);
        dir = mount.resolve("flows");
    }

    @AfterEach
    void unmount() throws Exception {
        Bpffs.unmount(mount);
        Files.deleteIfExists(mount);
    }

    private static byte[] udp(int sport) {
        return Frames.udp4(sport, 9000, 10);
    }

    private static void send(FlowProgram p, int sport, int packets) {
        p.program(FlowProgram.Hook.XDP).testRun(TestRun.of(udp(sport)).repeat(packets));
    }

    private FlowConfig pinned() {
        return FlowConfig.defaults().tableSize(256).pinDirectory(dir);
    }

    private static long packets(List<FinishedFlow> records, int sport) {
        return records.stream().filter(r -> r.key().sourcePort() == sport).mapToLong(FinishedFlow::packets).sum();
    }

    @Test
    void aSecondProcessCarriesOnWhereTheFirstStopped() {
        FakeClock clock = new FakeClock();
        List<FinishedFlow> first = new ArrayList<>(), second = new ArrayList<>();
        FlowAggregator.Settings s = FlowAggregator.Settings.defaults().activeTimeout(Duration.ofSeconds(60)).idleTimeout(Duration.ofSeconds(300));
        try (FlowProgram p = FlowProgram.load(pinned()); FlowAggregator a = new FlowAggregator(p, s, clock, first::add)) {
            assertThat(p.reusedTables()).isFalse();
            send(p, 1, 5); // A: reported by an active-timeout record, then 3 more the first process never reports
            send(p, 2, 4); // B: reported by an active-timeout record, and nothing after
            a.poll();
            clock.advance(Duration.ofSeconds(61));
            send(p, 1, 1);
            a.poll();
            assertThat(first).hasSize(2).allSatisfy(r -> assertThat(r.reason()).isEqualTo(EndReason.ACTIVE));
            assertThat(packets(first, 1)).isEqualTo(6);
            assertThat(packets(first, 2)).isEqualTo(4);
            assertThat(p.exportedTable().keys()).as("both stay in the table, reported so far").hasSize(2);
            send(p, 1, 3);
            // the first process dies here: no drain, no detach; the pins keep the tables
        }
        assertThat(Files.exists(dir.resolve("flow_table"))).isTrue();

        try (FlowProgram p = FlowProgram.load(pinned()); FlowAggregator a = new FlowAggregator(p, s, new FakeClock(), second::add)) {
            assertThat(p.reusedTables()).isTrue();
            send(p, 1, 2);
            send(p, 3, 7); // C: new in the second process
            a.poll();
            assertThat(a.totals().flowTraffic().packets()).as("what this process accounts for: 3+2 of A, none of B, 7 of C").isEqualTo(12);
            a.flush();
            assertThat(second).allSatisfy(r -> assertThat(r.reason()).isEqualTo(EndReason.END));
            assertThat(p.exportedTable().keys()).as("nothing left to remember after a drain").isEmpty();
        }
        List<FinishedFlow> all = new ArrayList<>(first);
        all.addAll(second);
        assertThat(packets(all, 1)).as("A: 5 + 1 + 3 + 2, each packet reported once").isEqualTo(11);
        assertThat(packets(all, 2)).isEqualTo(4);
        assertThat(packets(all, 3)).isEqualTo(7);
        assertThat(packets(second, 1)).isEqualTo(5);
        assertThat(packets(second, 2)).as("B had nothing new: no second record").isZero();
    }

    @Test
    void tablesOfAnotherLayoutOrSizeAreRefused() throws Exception {
        try (FlowProgram p = FlowProgram.load(pinned())) {
            send(p, 1, 1);
        }
        assertThatThrownBy(() -> FlowProgram.load(pinned().tableSize(512)).close())
                .isInstanceOf(BpfException.class).hasMessageContaining("holds 256 flows").hasMessageContaining("asks for 512");
        try (BpfMap meta = BpfMap.openPinned(dir.resolve("flow_meta")); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4), value = arena.allocate(16);
            meta.lookup(key, value);
            value.set(JAVA_INT, 4, 1); // as if an older packetlens had written them
            meta.update(key, value);
        }
        assertThatThrownBy(() -> FlowProgram.load(pinned()).close())
                .isInstanceOf(BpfException.class).hasMessageContaining("flow layout 1").hasMessageContaining("reads layout " + FlowPins.LAYOUT);
        assertThat(BpfMap.openPinned(dir.resolve("flow_table"))).as("the refused tables are left as they were")
                .satisfies(m -> {
                    assertThat(m.keys()).hasSize(1);
                    m.close();
                });
    }

    @Test
    void aPinnedLinkKeepsCountingWithoutAProcessAndIsTakenOver() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            List<FinishedFlow> records = new ArrayList<>();
            FlowConfig config = pinned().hooks(java.util.EnumSet.of(FlowProgram.Hook.XDP));
            try (FlowProgram p = FlowProgram.load(config)) {
                b.call(() -> p.attachPinned(FlowProgram.Hook.XDP, b.namespace(), "veth0", prog -> io.packetlens.ebpf.link.XdpLink.attach(prog, "veth0", XdpMode.AUTO)));
                Traffic.udp(a, b, false, 10, 50);
            }
            Traffic.udp(a, b, false, 20, 50); // no process: the pinned link and tables go on counting
            assertThat(b.exec("ip", "link", "show", "veth0")).contains("xdp");
            try (FlowProgram p = FlowProgram.load(config); FlowAggregator agg = new FlowAggregator(p, records::add)) {
                b.call(() -> p.attachPinned(FlowProgram.Hook.XDP, b.namespace(), "veth0", prog -> {
                    throw new AssertionError("the pinned link must be taken over, not attached anew");
                }));
                Traffic.udp(a, b, false, 5, 50);
                p.detachAll();
                assertThat(b.exec("ip", "link", "show", "veth0")).doesNotContain("xdp");
                assertThat(p.pins().links()).isEmpty();
                agg.flush();
                p.pins().remove();
            }
            long udp = records.stream().filter(r -> r.key().destinationPort() == Traffic.UDP_PORT).mapToLong(FinishedFlow::packets).sum();
            assertThat(udp).as("10 + 20 + 5 datagrams, across two processes and the time between").isEqualTo(35);
            assertThat(dir).doesNotExist();
        }
    }
}
