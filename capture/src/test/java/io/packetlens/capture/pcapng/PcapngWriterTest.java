package io.packetlens.capture.pcapng;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/** The pcapng writer's blocks, read back by an independent parser. */
class PcapngWriterTest {
    @TempDir
    Path dir;

    @Test
    void writesSectionInterfacePacketsAndStatistics() throws Exception {
        Path f = dir.resolve("t.pcapng");
        long t0 = 1_764_000_000_123_456_789L;
        try (Arena arena = Arena.ofConfined(); PcapngWriter w = PcapngWriter.create(f, "unit test")) {
            int id = w.addInterface("veth0", "test interface", 128);
            assertThat(id).isZero();
            MemorySegment src = arena.allocate(4000);
            for (int i = 0; i < 4000; i++) src.set(JAVA_BYTE, i, (byte) i);
            // enough packets to cross the 1 MiB buffer several times
            for (int i = 0; i < 3000; i++) w.writePacket(id, t0 + i, src, i % 7, 1 + i % 1500, 1 + i % 1500 + i % 3);
            w.writeStatistics(id, new InterfaceStatistics(t0, t0 + 5000, 3100, 42, 3050, 8, 3000));
            assertThat(w.packets()).isEqualTo(3000);
        }
        PcapngReader r = new PcapngReader(f);
        assertThat(r.blocks.getFirst().type()).isEqualTo(Pcapng.SHB);
        assertThat(r.blocks.getFirst().body().getInt(0)).isEqualTo(0x1A2B3C4D);
        assertThat(r.blocks.get(1).type()).isEqualTo(Pcapng.IDB);
        Map<Integer, byte[]> idb = r.options(Pcapng.IDB, 8);
        assertThat(new String(idb.get(2), StandardCharsets.UTF_8)).isEqualTo("veth0");
        assertThat(idb.get(9)).containsExactly(9);
        assertThat(r.blocks.get(1).body().getInt(4)).as("snaplen").isEqualTo(128);

        List<PcapngReader.Packet> ps = r.packets();
        assertThat(ps).hasSize(3000);
        for (int i = 0; i < 3000; i++) {
            PcapngReader.Packet p = ps.get(i);
            assertThat(p.tsNanos()).isEqualTo(t0 + i);
            assertThat(p.data().length).isEqualTo(1 + i % 1500);
            assertThat(p.origLen()).isEqualTo(1 + i % 1500 + i % 3);
            assertThat(p.data()[0]).isEqualTo((byte) (i % 7));
            assertThat(p.data()[p.data().length - 1]).isEqualTo((byte) (i % 7 + p.data().length - 1));
        }
        Map<Integer, byte[]> isb = r.options(Pcapng.ISB, 12);
        assertThat(PcapngReader.ts(isb.get(2))).isEqualTo(t0);
        assertThat(PcapngReader.ts(isb.get(3))).isEqualTo(t0 + 5000);
        assertThat(PcapngReader.u64(isb.get(4))).isEqualTo(3100);
        assertThat(PcapngReader.u64(isb.get(5))).isEqualTo(42);
        assertThat(PcapngReader.u64(isb.get(6))).isEqualTo(3050);
        assertThat(PcapngReader.u64(isb.get(7))).isEqualTo(8);
        assertThat(PcapngReader.u64(isb.get(8))).isEqualTo(3000);
    }
}
