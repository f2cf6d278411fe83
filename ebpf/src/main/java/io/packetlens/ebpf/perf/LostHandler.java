package io.packetlens.ebpf.perf;

/** Told about each PERF_RECORD_LOST: {@code count} samples the kernel could not write into CPU {@code cpu}'s ring. */
@FunctionalInterface
public interface LostHandler {
    void onLost(int cpu, long count);
}
