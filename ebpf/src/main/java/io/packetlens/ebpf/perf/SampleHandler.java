package io.packetlens.ebpf.perf;

import java.lang.foreign.MemorySegment;

/**
 * Receives the raw data of one BPF output sample ({@code bpf_perf_event_output}): a read-only
 * view valid only during the call (into the ring, or into a per-CPU reassembly buffer when the
 * sample wrapped around the ring's end). The kernel pads raw data so the whole perf record is
 * 8-byte aligned, so the view may be up to 7 bytes longer than what the program emitted;
 * programs that emit variable sizes should carry the length in the data. Each call makes one
 * view object; {@link RawSampleHandler} takes the same bytes as an offset into a segment instead,
 * for readers that must allocate nothing per sample.
 */
@FunctionalInterface
public interface SampleHandler {
    void onRecord(MemorySegment record);
}
