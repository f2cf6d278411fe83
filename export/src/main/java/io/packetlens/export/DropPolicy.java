package io.packetlens.export;

/** What an exporter's full queue gives up to stay within its bound; every record given up is counted. */
public enum DropPolicy {
    /** Refuse the record arriving (keep what is queued: the oldest records leave first). */
    DROP_NEWEST,
    /** Discard the oldest queued record to make room (the freshest data wins). */
    DROP_OLDEST
}
