package io.packetlens.export.ipfix;

/**
 * Counters of one collector's sessions since the exporter was made.
 *
 * @param open             whether its socket is open now
 * @param messages         data messages the kernel took
 * @param records          data records in them
 * @param refusedMessages  data messages the kernel refused (UDP: nothing listening, unreachable)
 * @param refusedRecords   data records in them, which the exporter reports as failed
 * @param templateMessages template messages the kernel took
 * @param sessions         transport sessions started (TCP connections; 1 for UDP)
 * @param sequence         the current session's sequence number
 */
public record CollectorStats(Collector collector, boolean open, long messages, long records, long refusedMessages,
                             long refusedRecords, long templateMessages, long sessions, long sequence) {
}
