package io.packetlens.flow;

/**
 * How a {@link FlowAggregator} reads a {@link FlowSource}'s table: batches of entries as the kernel lays them out
 * ({@code struct pl_flow_key} as eleven 32-bit words, {@code struct pl_flow_stats} as seven 64-bit words, per CPU
 * for a per-CPU table, in the host's byte order), and the final counts of one entry as it is removed. The kernel
 * table's reader is BPF_MAP_LOOKUP_BATCH and BPF_MAP_LOOKUP_AND_DELETE_ELEM ({@link KernelTableReader}); the AF_PACKET
 * fallback's reads its table in Java. Used by one thread at a time.
 */
interface FlowTableReader extends AutoCloseable {
    /** Entries one {@link #next} or {@link #drainNext} call copies at most. */
    int capacity();

    /** 64-bit words per entry's value: {@link RecordWords#WORDS}, times the CPUs for a per-CPU table. */
    int valueWords();

    /** Whether each value holds one record per possible CPU. */
    boolean perCpu();

    /** Starts a new pass over the table. */
    void reset();

    /** Copies the next entries of this pass into the arrays (entry i at {@code i * 11} and {@code i * valueWords()}); 0 at the end. */
    int next(int[] keyWords, long[] valueWords);

    /** Like {@link #next}, removing the entries it copies from the table. */
    int drainNext(int[] keyWords, long[] valueWords);

    /** Removes the entry whose key is the 11 words at {@code base} of {@code keyWords}, copying its final value into {@code value}; false if it is gone. */
    boolean remove(int[] keyWords, int base, long[] value);

    @Override
    void close();
}
