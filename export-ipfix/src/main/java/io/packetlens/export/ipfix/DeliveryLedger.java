package io.packetlens.export.ipfix;

import io.packetlens.export.ExportContext;

/**
 * Counts every record exactly once as delivered or failed, for an exporter that buffers records across
 * {@code send} calls. Records reach a socket only when their message is full or flushed, so a record is reported when
 * its message has been written to every collector: delivered, or failed if a collector's kernel refused it.
 *
 * <p>The runner retries a batch whose {@code send} threw, and if it gives up (at shutdown) it counts the whole batch as
 * failed itself. So outcomes for records of the batch in progress are held back until {@code send} returns, and
 * dropped if it never does; records of batches that did return are reported as soon as their message goes out, or as
 * failed when the exporter closes with them unsent. Messages go out in order, so the unsent records are always the
 * older batches' first, then the current batch's.
 */
final class DeliveryLedger {
    private final ExportContext context;
    /** Encoded records of returned batches, not yet in a message that went out. */
    private long unsentReturned;
    /** The same for the batch in progress. */
    private long unsentBatch;
    private long batchDelivered, batchFailed;
    private Throwable batchCause;
    private boolean inBatch;

    DeliveryLedger(ExportContext context) {
        this.context = context;
    }

    void beginBatch() {
        inBatch = true;
    }

    boolean inBatch() {
        return inBatch;
    }

    void encoded() {
        if (inBatch) unsentBatch++;
        else unsentReturned++;
    }

    /** A message of {@code n} records went to every collector; {@code refusal} is null or why one refused it. */
    void sent(long n, Throwable refusal) {
        long old = Math.min(n, unsentReturned);
        unsentReturned -= old;
        report(old, refusal);
        long current = n - old;
        unsentBatch -= current;
        if (refusal == null) {
            batchDelivered += current;
        } else {
            batchFailed += current;
            batchCause = refusal;
        }
    }

    /** {@code send} returned: the batch's outcomes so far are reported, its unsent records join the older ones. */
    void endBatch() {
        inBatch = false;
        if (batchDelivered > 0) context.delivered(batchDelivered);
        if (batchFailed > 0) context.failed(batchFailed, batchCause);
        unsentReturned += unsentBatch;
        unsentBatch = batchDelivered = batchFailed = 0;
        batchCause = null;
    }

    /** The exporter closes: unsent records of returned batches failed; a batch in progress is the runner's to count. */
    void close(Throwable cause) {
        if (unsentReturned > 0) context.failed(unsentReturned, cause);
        unsentReturned = unsentBatch = batchDelivered = batchFailed = 0;
        inBatch = false;
    }

    /** Records encoded but not yet sent. */
    long unsent() {
        return unsentReturned + unsentBatch;
    }

    private void report(long n, Throwable refusal) {
        if (n == 0) return;
        if (refusal == null) context.delivered(n);
        else context.failed(n, refusal);
    }
}
