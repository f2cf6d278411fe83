package io.packetlens.guard;

import io.packetlens.ebpf.events.EventChannelConfig;
import io.packetlens.ebpf.link.XdpChain;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link GuardProgram} is loaded: where its links and maps are pinned (by default they are: a firewall that
 * vanished when its process died would be a hole) or that it lives only as long as the process, the table sizes that
 * the ruleset does not give, the bucket insert rate, drop sampling and the bucket table's kind.
 *
 * @param pinDirectory        a directory in a bpffs mount for the links and maps, or null with {@code processScoped} ({@link #unpinned()})
 * @param processScoped       nothing pinned: closing the program, or the process dying, detaches it
 * @param prefixCapacity      minimum entries of each prefix trie (both slots together; at least twice the initial ruleset's)
 * @param bucketTableSize     rate-limit buckets (sources or source prefixes) held at once
 * @param banTableSize        bans held at once
 * @param dropSourceTableSize slots of the per-CPU table behind "top dropped sources" (rounded up to a power of two)
 * @param bucketInsertsPerSecond new buckets made per second at most (0: unbounded), with bursts of {@code bucketInsertBurst}
 * @param sampleEvery         one drop in this many is sent as a sample event (0: none)
 * @param perCpuBuckets       each CPU its own buckets (PERCPU_HASH) instead of shared ones; see docs/GUARD.md
 * @param bucketIdle          buckets unused this long are removed by {@link GuardProgram#expire()}
 * @param events              the sample event channel (ring buffer or perf buffer)
 * @param chainRoot           where interfaces' XDP chains are pinned ({@link io.packetlens.ebpf.link.XdpChain}): at XDP the
 *                            guard is the chain's first member, so that the flow monitor can run behind it
 * @param debugTag            the program's {@code pl_debug} switch (packetlens_debug.h): 0, the default, compiles its debug
 *                            prints away; otherwise the {@link io.packetlens.ebpf.tracing.KernelDebugLog#tag() tag} of the
 *                            log that shows them ({@code --debug-kernel})
 * @param inlinePrefixes      a direction (source or destination) whose prefixes number at most this many per family is
 *                            matched by a few compares in the ruleset's header instead of a trie lookup (0 to
 *                            {@link GuardLayout.Prefixes#MAX}, the default; 0 always uses the tries)
 */
public record GuardOptions(Path pinDirectory, boolean processScoped, int prefixCapacity, int bucketTableSize, int banTableSize,
                           int dropSourceTableSize, long bucketInsertsPerSecond, long bucketInsertBurst, int sampleEvery,
                           boolean perCpuBuckets, Duration bucketIdle, EventChannelConfig events, Path chainRoot, int debugTag,
                           int inlinePrefixes) {
    public GuardOptions {
        if (!processScoped) Objects.requireNonNull(pinDirectory, "a pin directory, or GuardOptions.unpinned()");
        if (prefixCapacity < 16 || bucketTableSize < 1 || banTableSize < 1 || dropSourceTableSize < 1) {
            throw new IllegalArgumentException("table sizes must be positive (prefix capacity at least 16)");
        }
        if (bucketInsertsPerSecond < 0 || sampleEvery < 0) throw new IllegalArgumentException("negative rate");
        if (inlinePrefixes < 0 || inlinePrefixes > GuardLayout.Prefixes.MAX) {
            throw new IllegalArgumentException("inline prefixes must be 0 to " + GuardLayout.Prefixes.MAX + ", not " + inlinePrefixes);
        }
    }

    /**
     * Pinned under {@code dir} (a bpffs directory), with the default sizes; interfaces' XDP chains beside it, in
     * {@code dir/../xdp} (for the default {@code /sys/fs/bpf/packetlens/guard}: the library's default chain root).
     */
    public static GuardOptions pinned(Path dir) {
        Path root = dir.toAbsolutePath().getParent() == null ? XdpChain.DEFAULT_ROOT : dir.toAbsolutePath().getParent().resolve("xdp");
        return new GuardOptions(dir, false, 4096, 65536, 16384, 4096, 10_000, 1_000, 0, false, Duration.ofMinutes(5),
                EventChannelConfig.fromEnvironment(), root, 0, GuardLayout.Prefixes.MAX);
    }

    /** Nothing pinned: detached when closed or when the process dies. */
    public static GuardOptions unpinned() {
        return new GuardOptions(null, true, 4096, 65536, 16384, 4096, 10_000, 1_000, 0, false, Duration.ofMinutes(5),
                EventChannelConfig.fromEnvironment(), XdpChain.DEFAULT_ROOT, 0, GuardLayout.Prefixes.MAX);
    }

    public GuardOptions chainRoot(Path root) {
        return new GuardOptions(pinDirectory, processScoped, prefixCapacity, bucketTableSize, banTableSize, dropSourceTableSize,
                bucketInsertsPerSecond, bucketInsertBurst, sampleEvery, perCpuBuckets, bucketIdle, events, root, debugTag, inlinePrefixes);
    }

    public GuardOptions prefixCapacity(int n) {
        return new GuardOptions(pinDirectory, processScoped, n, bucketTableSize, banTableSize, dropSourceTableSize,
                bucketInsertsPerSecond, bucketInsertBurst, sampleEvery, perCpuBuckets, bucketIdle, events, chainRoot, debugTag, inlinePrefixes);
    }

    public GuardOptions bucketTableSize(int n) {
        return new GuardOptions(pinDirectory, processScoped, prefixCapacity, n, banTableSize, dropSourceTableSize,
                bucketInsertsPerSecond, bucketInsertBurst, sampleEvery, perCpuBuckets, bucketIdle, events, chainRoot, debugTag, inlinePrefixes);
    }

    public GuardOptions bucketInserts(long perSecond, long burst) {
        return new GuardOptions(pinDirectory, processScoped, prefixCapacity, bucketTableSize, banTableSize, dropSourceTableSize,
                perSecond, burst, sampleEvery, perCpuBuckets, bucketIdle, events, chainRoot, debugTag, inlinePrefixes);
    }

    public GuardOptions sampleEvery(int n) {
        return new GuardOptions(pinDirectory, processScoped, prefixCapacity, bucketTableSize, banTableSize, dropSourceTableSize,
                bucketInsertsPerSecond, bucketInsertBurst, n, perCpuBuckets, bucketIdle, events, chainRoot, debugTag, inlinePrefixes);
    }

    public GuardOptions perCpuBuckets(boolean v) {
        return new GuardOptions(pinDirectory, processScoped, prefixCapacity, bucketTableSize, banTableSize, dropSourceTableSize,
                bucketInsertsPerSecond, bucketInsertBurst, sampleEvery, v, bucketIdle, events, chainRoot, debugTag, inlinePrefixes);
    }

    /** Sets the {@code pl_debug} switch: a {@link io.packetlens.ebpf.tracing.KernelDebugLog}'s tag turns the debug prints on, 0 off. */
    public GuardOptions debugTag(int tag) {
        return new GuardOptions(pinDirectory, processScoped, prefixCapacity, bucketTableSize, banTableSize, dropSourceTableSize,
                bucketInsertsPerSecond, bucketInsertBurst, sampleEvery, perCpuBuckets, bucketIdle, events, chainRoot, tag, inlinePrefixes);
    }

    public GuardOptions bucketIdle(Duration d) {
        return new GuardOptions(pinDirectory, processScoped, prefixCapacity, bucketTableSize, banTableSize, dropSourceTableSize,
                bucketInsertsPerSecond, bucketInsertBurst, sampleEvery, perCpuBuckets, d, events, chainRoot, debugTag, inlinePrefixes);
    }

    /** At most this many prefixes per family and direction are matched in place of the trie (0: always the trie). */
    public GuardOptions inlinePrefixes(int n) {
        return new GuardOptions(pinDirectory, processScoped, prefixCapacity, bucketTableSize, banTableSize, dropSourceTableSize,
                bucketInsertsPerSecond, bucketInsertBurst, sampleEvery, perCpuBuckets, bucketIdle, events, chainRoot, debugTag, n);
    }
}
