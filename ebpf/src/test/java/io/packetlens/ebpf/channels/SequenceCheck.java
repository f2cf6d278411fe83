package io.packetlens.ebpf.channels;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the per-CPU sequence numbers a reader delivered: strictly increasing per CPU (so none
 * duplicated or reordered), and the numbers missing between them exactly the drops the kernel
 * program counted. Thread-safe for one reader thread plus the asserting thread after it joined.
 */
public final class SequenceCheck {
    private final long[] next;
    private final long[] delivered;
    private final long[] gaps;
    private final List<String> problems = new ArrayList<>();

    public SequenceCheck(int cpus) {
        next = new long[cpus];
        delivered = new long[cpus];
        gaps = new long[cpus];
    }

    /** Records one delivered event. */
    public synchronized void accept(int cpu, long seq) {
        if (cpu < 0 || cpu >= next.length) {
            if (problems.size() < 10) problems.add("event from unexpected CPU " + cpu);
            return;
        }
        if (seq < next[cpu]) {
            if (problems.size() < 10) problems.add("CPU " + cpu + ": seq " + seq + " after " + (next[cpu] - 1) + " (duplicate or reordered)");
        } else {
            gaps[cpu] += seq - next[cpu];
            next[cpu] = seq + 1;
        }
        delivered[cpu]++;
    }

    public synchronized long[] delivered() {
        return delivered.clone();
    }

    /**
     * Asserts that CPU {@code cpu} delivered every one of {@code produced} sequence numbers except
     * {@code dropped} counted drops, none twice.
     */
    public synchronized void assertExact(int cpu, long produced, long dropped) {
        assertThat(problems).as("sequence problems").isEmpty();
        long trailing = produced - next[cpu];
        assertThat(gaps[cpu] + trailing).as("CPU %d: sequence numbers missing", cpu).isEqualTo(dropped);
        assertThat(delivered[cpu] + dropped).as("CPU %d: delivered + dropped", cpu).isEqualTo(produced);
    }
}
