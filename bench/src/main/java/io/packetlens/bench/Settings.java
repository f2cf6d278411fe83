package io.packetlens.bench;

import java.util.List;

/** The benchmark's parameters after validation. */
record Settings(int entries, int keySize, int valueSize, int rounds, int warmup, List<Integer> batchSizes, String bpftool) {

    Settings {
        batchSizes = List.copyOf(batchSizes);
        if (entries <= 0) throw new IllegalArgumentException("--entries must be positive, got " + entries);
        if (keySize < FlowEntries.MIN_KEY_SIZE) throw new IllegalArgumentException("--key-size must be at least " + FlowEntries.MIN_KEY_SIZE + ", got " + keySize);
        if (valueSize < FlowEntries.MIN_VALUE_SIZE) throw new IllegalArgumentException("--value-size must be at least " + FlowEntries.MIN_VALUE_SIZE + ", got " + valueSize);
        if (rounds <= 0) throw new IllegalArgumentException("--rounds must be positive, got " + rounds);
        if (warmup <= 0) throw new IllegalArgumentException("--warmup must be at least 1 (the first warm-up also verifies bpftool's output), got " + warmup);
        if (batchSizes.isEmpty()) throw new IllegalArgumentException("--batch-sizes needs at least one size");
        for (int b : batchSizes) if (b <= 0) throw new IllegalArgumentException("batch sizes must be positive, got " + b);
    }
}
