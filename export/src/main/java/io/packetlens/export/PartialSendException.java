package io.packetlens.export;

import java.io.IOException;

/**
 * A batch the exporter took only the first {@link #accepted()} records of: those are the exporter's now (sent, or
 * reported later through {@link ExportContext}), and the runner retries the rest after its backoff. An exporter whose
 * client buffers records (Kafka's producer) throws this when its buffer fills part way through a batch, so no record
 * is both handed over and retried, and none is given up before its delivery timeout.
 */
public final class PartialSendException extends IOException {
    private final int accepted;

    public PartialSendException(int accepted, String message, Throwable cause) {
        super(message, cause);
        if (accepted < 0) throw new IllegalArgumentException("accepted < 0: " + accepted);
        this.accepted = accepted;
    }

    /** How many records, from the start of the batch, the exporter took. */
    public int accepted() {
        return accepted;
    }
}
