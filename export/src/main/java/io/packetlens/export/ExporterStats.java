package io.packetlens.export;

/**
 * What one exporter did since it started; every record offered to it ends in exactly one of
 * {@code sent}, {@code dropped} or {@code failed}, or is still {@code queued} / in flight.
 *
 * @param name      the exporter's name (unique in the agent), e.g. {@code ipfix} or the configured name
 * @param type      its type: {@code ipfix}, {@code kafka}, {@code file}, {@code stdout}
 * @param offered   records (and events) offered by the agent
 * @param sent      records the destination took (for exporters that report delivery: acknowledged)
 * @param dropped   records the full queue gave up (by its drop policy)
 * @param failed    records that could not be delivered (destination errors reported later, or still undelivered at shutdown)
 * @param queued    records waiting in the queue now
 * @param capacity  the queue's bound
 * @param sendErrors failed attempts to open or send (each retried after a backoff)
 * @param connected whether the destination is open now
 * @param lastError the last error's message, or null
 */
public record ExporterStats(String name, String type, long offered, long sent, long dropped, long failed, int queued,
                            int capacity, long sendErrors, boolean connected, String lastError) {
    /** Records handed to the destination and not yet acknowledged or failed (exporters that report delivery). */
    public long inFlight() {
        return Math.max(0, offered - sent - dropped - failed - queued);
    }
}
