package io.packetlens.ebpf.poll;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapBatch;
import io.packetlens.ebpf.PerCpu;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Synchronous pull of a map's contents: {@link #snapshot()} reads every entry with batch
 * lookups (BPF_MAP_LOOKUP_BATCH, falling back to key iteration where a map type lacks it),
 * {@link #poll()} also returns the {@link Delta} from the previous poll, and {@link #start}
 * polls periodically on a daemon thread. The channel for counters and aggregates, where the
 * kernel keeps the totals and user space only samples them, so nothing can be lost in transit.
 * Not for concurrent use except {@link #close()}.
 */
public final class MapPoller implements AutoCloseable {
    private final BpfMap map;
    private final MapBatch batch;
    private Snapshot last;
    private Thread thread;
    private volatile boolean stopping;
    private volatile Throwable failure;

    /** A poller reading {@code map} in batches of 1024 entries. */
    public MapPoller(BpfMap map) {
        this(map, 1024);
    }

    public MapPoller(BpfMap map, int batchSize) {
        this.map = Objects.requireNonNull(map);
        this.batch = map.batch(batchSize);
        this.last = Snapshot.empty(map.valueSize(), cpusOf(map), System.nanoTime(), Instant.now());
    }

    private static int cpusOf(BpfMap map) {
        return map.type().isPerCpu() ? PerCpu.cpus() : 1;
    }

    public BpfMap map() {
        return map;
    }

    /** Reads the whole map now (does not move the baseline of {@link #poll()}). */
    public synchronized Snapshot snapshot() {
        Map<MapKey, byte[]> entries = new HashMap<>();
        int ks = map.keySize();
        Instant at = Instant.now();
        batch.forEach((MemorySegment k, MemorySegment v) -> entries.put(new MapKey(k.asSlice(0, ks).toArray(JAVA_BYTE)), v.toArray(JAVA_BYTE)), false);
        return new Snapshot(entries, map.valueSize(), cpusOf(map), System.nanoTime(), at);
    }

    /** Reads the whole map and returns what changed since the previous poll (the first poll compares with an empty map). */
    public synchronized Delta poll() {
        Snapshot now = snapshot();
        Delta d = new Delta(last, now);
        last = now;
        return d;
    }

    /** The snapshot of the latest {@link #poll()}. */
    public synchronized Snapshot last() {
        return last;
    }

    /**
     * Polls every {@code period} on a daemon thread and hands each delta to {@code listener},
     * at a fixed rate (a slow poll delays the next, none are skipped silently). If a poll or the
     * listener throws, polling stops and {@link #failure()} holds the cause.
     */
    public synchronized void start(Duration period, Consumer<Delta> listener) {
        if (thread != null) throw new IllegalStateException("already polling");
        long periodNanos = period.toNanos();
        if (periodNanos <= 0) throw new IllegalArgumentException("period must be positive");
        thread = Thread.ofPlatform().daemon().name("map-poller-" + map.name()).start(() -> {
            long next = System.nanoTime() + periodNanos;
            try {
                while (!stopping) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        if (stopping) break;
                    }
                    listener.accept(poll());
                    next += periodNanos;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                failure = t;
            }
        });
    }

    /** Why periodic polling stopped, or null. */
    public Throwable failure() {
        return failure;
    }

    /** Stops periodic polling (waiting for a poll in progress) and frees the batch buffers; the map stays open. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            stopping = true;
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            batch.close();
        }
    }
}
