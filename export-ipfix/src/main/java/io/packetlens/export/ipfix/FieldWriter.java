package io.packetlens.export.ipfix;

import io.packetlens.flow.FinishedFlow;

import java.nio.ByteBuffer;

/**
 * Writes one information element of a flow record into a data record: exactly the field's length in bytes, in network
 * byte order, at the buffer's position. Implementations must not allocate: they run once per field of every record.
 */
@FunctionalInterface
public interface FieldWriter {
    void write(ByteBuffer out, FinishedFlow flow);
}
