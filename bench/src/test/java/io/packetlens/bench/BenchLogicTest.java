package io.packetlens.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The benchmark's bookkeeping (no timing here: benchmarks are commands, not tests). */
class BenchLogicTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Samples.of(new double[] {5, 1, 3})).isEqualTo(new Samples(3, 1, 5));
        assertThat(Samples.of(new double[] {4, 1, 3, 2})).isEqualTo(new Samples(2.5, 1, 4));
    }

    @Test
    void countsEntriesInBpftoolOutput() throws Exception {
        String text = """
                key:
                0a 00 00 01 c0 a8 00 01  04 00 01 bb 06 00 00 00
                value:
                01 00 00 00 00 00 00 00  b0 04 00 00 00 00 00 00
                key:
                0a 00 00 02 c0 a8 00 02  04 01 01 bb 06 00 00 00
                value:
                02 00 00 00 00 00 00 00  60 09 00 00 00 00 00 00
                Found 2 elements
                """;
        String json = "[{\"key\":[\"0x0a\"],\"value\":[\"0x01\"]},{\"key\":[\"0x0b\"],\"value\":[\"0x02\"]},{\"key\":[\"0x0c\"],\"value\":[\"0x03\"]}]";
        assertThat(count(text, Bpftool.Format.TEXT)).isEqualTo(2);
        assertThat(count(json, Bpftool.Format.JSON)).isEqualTo(3);
        assertThat(Bpftool.countOccurrences(new ByteArrayInputStream("\"\"key\":x\"key\"\"key\":".getBytes(StandardCharsets.US_ASCII)),
                "\"key\":".getBytes(StandardCharsets.US_ASCII))).isEqualTo(2);
    }

    private static long count(String output, Bpftool.Format f) throws Exception {
        return Bpftool.countOccurrences(new ByteArrayInputStream(output.getBytes(StandardCharsets.US_ASCII)), f.perEntry);
    }

    @Test
    void flowKeysAreDistinctAndValuesCarryTheIndex() {
        int n = 70_000, ks = 16, vs = 32;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment keys = arena.allocate((long) n * ks), values = arena.allocate((long) n * vs);
            Set<ByteBuffer> seen = new HashSet<>();
            long sum = 0;
            for (int i = 0; i < n; i++) {
                FlowEntries.writeKey(keys, (long) i * ks, ks, i);
                FlowEntries.writeValue(values, (long) i * vs, vs, i);
                seen.add(keys.asSlice((long) i * ks, ks).asByteBuffer());
                sum += FlowEntries.packets(values, (long) i * vs);
            }
            assertThat(seen).hasSize(n);
            assertThat(sum).isEqualTo(FlowEntries.expectedPacketSum(n));
        }
    }

    @Test
    void dumpCheckRejectsShortOrWrongDumps() {
        new DumpCount(10, FlowEntries.expectedPacketSum(10)).check("m", 10);
        new DumpCount(10, -1).check("m", 10);
        assertThatThrownBy(() -> new DumpCount(9, -1).check("m", 10)).hasMessageContaining("read 9 entries");
        assertThatThrownBy(() -> new DumpCount(10, 1).check("m", 10)).hasMessageContaining("wrong values");
    }

    @Test
    void settingsRejectNonsense() {
        assertThatThrownBy(() -> new Settings(0, 16, 32, 5, 1, List.of(256), "bpftool")).hasMessageContaining("--entries");
        assertThatThrownBy(() -> new Settings(10, 2, 32, 5, 1, List.of(256), "bpftool")).hasMessageContaining("--key-size");
        assertThatThrownBy(() -> new Settings(10, 16, 32, 5, 0, List.of(256), "bpftool")).hasMessageContaining("--warmup");
        assertThatThrownBy(() -> new Settings(10, 16, 32, 5, 1, List.of(0), "bpftool")).hasMessageContaining("batch sizes");
    }

    @Test
    void formatsRatesAndRatios() {
        assertThat(MarkdownReport.rate(12_345_678)).isEqualTo("12.3 M");
        assertThat(MarkdownReport.rate(146_000)).isEqualTo("146 k");
        assertThat(MarkdownReport.ratio(3_000_000, 150_000)).isEqualTo("20×");
        assertThat(MarkdownReport.ratio(300_000, 150_000)).isEqualTo("2.00×");
        assertThat(MarkdownReport.ratio(1, Double.NaN)).isEqualTo("–");
    }
}
