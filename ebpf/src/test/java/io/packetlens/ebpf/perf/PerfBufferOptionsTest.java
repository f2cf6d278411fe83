package io.packetlens.ebpf.perf;

import io.packetlens.ebpf.sys.Mmap;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PerfBufferOptionsTest {
    @Test
    void defaultsWakeTheReaderAtAQuarterOfTheRing() {
        PerfBufferOptions d = PerfBufferOptions.defaults();
        assertThat(d.pagesPerCpu()).isEqualTo(64);
        assertThat(d.watermarkBytes()).isEqualTo(64 * Mmap.pageSize() / 4);
    }

    @Test
    void resizingTheRingKeepsTheWatermarkFraction() {
        PerfBufferOptions o = PerfBufferOptions.defaults().pagesPerCpu(1024);
        assertThat(o.watermarkBytes()).isEqualTo(1024 * Mmap.pageSize() / 4);
        assertThat(PerfBufferOptions.wakeupPerEvent(8).pagesPerCpu(16).watermarkBytes()).isZero();
    }

    @Test
    void rejectsRingsThatAreNotAPowerOfTwoAndNoWakeupAtAll() {
        assertThatThrownBy(() -> PerfBufferOptions.wakeupPerEvent(3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PerfBufferOptions(4, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
