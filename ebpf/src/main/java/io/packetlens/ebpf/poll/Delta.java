package io.packetlens.ebpf.poll;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * What changed in a map between two snapshots: keys that appeared, disappeared or whose value
 * changed, and for counter maps the increase of each u64 word (summed over CPUs) and its rate.
 * A key absent from one side counts as zero there.
 */
public final class Delta {
    private final Snapshot previous;
    private final Snapshot current;

    Delta(Snapshot previous, Snapshot current) {
        this.previous = previous;
        this.current = current;
    }

    public Snapshot previous() {
        return previous;
    }

    public Snapshot current() {
        return current;
    }

    /** Time between the two snapshots. */
    public Duration interval() {
        return Duration.ofNanos(current.nanoTime() - previous.nanoTime());
    }

    public Set<MapKey> added() {
        Set<MapKey> s = new HashSet<>(current.keys());
        s.removeAll(previous.keys());
        return s;
    }

    public Set<MapKey> removed() {
        Set<MapKey> s = new HashSet<>(previous.keys());
        s.removeAll(current.keys());
        return s;
    }

    /** Keys present in both snapshots with different values. */
    public Set<MapKey> changed() {
        Set<MapKey> s = new HashSet<>();
        for (MapKey k : current.keys()) {
            if (previous.contains(k) && !java.util.Arrays.equals(previous.value(k).orElseThrow(), current.value(k).orElseThrow())) s.add(k);
        }
        return s;
    }

    /** current - previous for each u64 word of {@code key}'s value. */
    public long[] delta(MapKey key) {
        long[] a = previous.counters(key), b = current.counters(key);
        long[] d = new long[b.length];
        for (int i = 0; i < d.length; i++) d[i] = b[i] - a[i];
        return d;
    }

    public long delta(MapKey key, int word) {
        return current.counter(key, word) - previous.counter(key, word);
    }

    /** Increase of word {@code word} per second over the interval. */
    public double ratePerSecond(MapKey key, int word) {
        long nanos = current.nanoTime() - previous.nanoTime();
        return nanos <= 0 ? 0 : delta(key, word) * 1e9 / nanos;
    }

    @Override
    public String toString() {
        return "Delta[" + interval() + " +" + added().size() + " -" + removed().size() + " ~" + changed().size() + "]";
    }
}
