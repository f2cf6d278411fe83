package io.packetlens.packet;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Several {@link FrameSource}s of one frame size interleaved in fixed proportions, for a generator that sends one
 * stream mixing kinds of traffic (a UDP flood and a SYN flood, say). With weights {@code w0, w1, ...} every
 * {@code w0 + w1 + ...} frames hold {@code w0} of part 0, {@code w1} of part 1 and so on, spread out (part 0, part 1,
 * part 0, ... for 2:1), and each part goes through its own frames in order.
 *
 * <p>A generator's buffer may hold any part's frame from an earlier send, so {@link #stamp} first copies the chosen
 * part's template (a copy of {@link #size()} bytes from a native segment), then stamps it: still no allocation.
 */
public final class FrameMix implements FrameSource {
    private final FrameSource[] parts;
    /** For each position in one period: the part, and how many frames of that part came earlier in the period. */
    private final int[] partAt, rankAt;
    private final int[] weights;
    private final int period;
    private final int frames;
    private final int size;
    /** Every part's template, side by side, in memory the copy can take from without a heap wrapper. */
    private final MemorySegment templates;

    /**
     * @param parts   the sources, all of one frame size
     * @param weights frames of each part per period (each at least 1)
     */
    public FrameMix(List<? extends FrameSource> parts, List<Integer> weights) {
        if (parts.isEmpty() || parts.size() != weights.size()) throw new IllegalArgumentException("one weight per part, and at least one part");
        this.parts = parts.toArray(FrameSource[]::new);
        this.size = this.parts[0].size();
        this.weights = new int[this.parts.length];
        int p = 0;
        for (int i = 0; i < this.parts.length; i++) {
            if (this.parts[i].size() != size) throw new IllegalArgumentException("every part must have frames of " + size + " bytes; part " + i + " has " + this.parts[i].size());
            int w = weights.get(i);
            if (w < 1) throw new IllegalArgumentException("weights must be >= 1, not " + w);
            this.weights[i] = w;
            p += w;
        }
        period = p;
        partAt = new int[period];
        rankAt = new int[period];
        // spread each part over the period (largest remainder first), so that 2:1 is A B A, not A A B
        int[] given = new int[this.parts.length];
        for (int slot = 0; slot < period; slot++) {
            int best = -1;
            double bestLag = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < this.parts.length; i++) {
                if (given[i] == this.weights[i]) continue;
                double lag = (slot + 1) * (double) this.weights[i] / period - given[i];
                if (lag > bestLag) {
                    bestLag = lag;
                    best = i;
                }
            }
            partAt[slot] = best;
            rankAt[slot] = given[best]++;
        }
        long most = 0;
        for (int i = 0; i < this.parts.length; i++) most = Math.max(most, ceilDiv(this.parts[i].frames(), this.weights[i]));
        if (most * period > Integer.MAX_VALUE) throw new IllegalArgumentException("the mix has more than 2^31 - 1 frames");
        // long enough for every part to go through all its frames at least once
        frames = (int) (most * period);
        templates = MemorySegment.ofArray(new byte[size * this.parts.length]);
        for (int i = 0; i < this.parts.length; i++) this.parts[i].writeTemplate(templates, (long) i * size);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int frames() {
        return frames;
    }

    /** Frames per period: the sum of the weights. */
    public int period() {
        return period;
    }

    /** For position {@code slot} of a period: how many frames of its part ({@link #partOf}) come earlier in the period. */
    public int rankInPeriod(int slot) {
        return rankAt[slot];
    }

    /** The part frame {@code index} comes from. */
    public int partOf(int index) {
        return partAt[index % period];
    }

    /** Which of its part's frames frame {@code index} is. */
    public int partIndex(int index) {
        int slot = index % period;
        int part = partAt[slot];
        long n = (long) (index / period) * weights[part] + rankAt[slot];
        return (int) (n % parts[part].frames());
    }

    @Override
    public void writeTemplate(MemorySegment dst, long offset) {
        parts[0].writeTemplate(dst, offset);
    }

    @Override
    public void stamp(MemorySegment dst, long offset, int index) {
        int part = partOf(index);
        MemorySegment.copy(templates, (long) part * size, dst, offset, size);
        parts[part].stamp(dst, offset, partIndex(index));
    }
}
