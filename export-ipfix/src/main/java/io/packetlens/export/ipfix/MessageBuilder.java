package io.packetlens.export.ipfix;

import io.packetlens.flow.FinishedFlow;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Packs data records into one IPFIX message (RFC 7011 section 3) in a buffer that is reused for every message: a
 * 16-byte header, then data sets, a new set whenever the template changes. The header is stamped per transport session
 * just before each write ({@link #stamp}), because each collector has its own sequence number.
 */
public final class MessageBuilder {
    public static final int VERSION = 10;
    public static final int HEADER_LENGTH = 16;
    public static final int SET_HEADER_LENGTH = 4;
    public static final int TEMPLATE_SET_ID = 2;
    /** The header's length field is 16 bits. */
    public static final int MAX_MESSAGE_LENGTH = 0xffff;

    private final ByteBuffer buffer;
    private final ByteBuffer view;
    private final int maxLength;
    private Template openSet;
    private int setStart;
    private int records;

    /** A builder for messages of at most {@code maxLength} bytes (header included). */
    public MessageBuilder(int maxLength) {
        if (maxLength < HEADER_LENGTH + SET_HEADER_LENGTH || maxLength > MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("message length must be " + (HEADER_LENGTH + SET_HEADER_LENGTH) + ".." + MAX_MESSAGE_LENGTH + ": " + maxLength);
        }
        this.maxLength = maxLength;
        this.buffer = ByteBuffer.allocateDirect(maxLength).order(ByteOrder.BIG_ENDIAN);
        this.view = buffer.duplicate();
        reset();
    }

    public int maxLength() {
        return maxLength;
    }

    /** Data records in the message so far. */
    public int records() {
        return records;
    }

    public boolean isEmpty() {
        return records == 0;
    }

    /** Bytes of the message so far, header included. */
    public int length() {
        return buffer.position();
    }

    /**
     * Appends a data record for {@code flow} with {@code template}, opening a data set when the previous record used
     * another template. Returns false, writing nothing, when it does not fit: send the message, {@link #reset()}, add again.
     */
    public boolean add(Template template, FinishedFlow flow) {
        int need = template.recordLength() + (openSet == template ? 0 : SET_HEADER_LENGTH);
        if (buffer.position() + need > maxLength) return false;
        if (openSet != template) {
            closeSet();
            setStart = buffer.position();
            buffer.putShort((short) template.id()).putShort((short) 0);
            openSet = template;
        }
        template.writeRecord(buffer, flow);
        records++;
        return true;
    }

    /** Closes the open set and returns the message bytes (position 0, limit its length); valid until the next change. */
    public ByteBuffer finish() {
        closeSet();
        buffer.putShort(2, (short) buffer.position());
        view.clear().limit(buffer.position());
        return view;
    }

    /** Empties the builder for the next message. */
    public void reset() {
        buffer.clear();
        buffer.putShort((short) VERSION).putShort((short) 0).putInt(0).putInt(0).putInt(0);
        openSet = null;
        records = 0;
    }

    private void closeSet() {
        if (openSet != null) {
            buffer.putShort(setStart + 2, (short) (buffer.position() - setStart));
            openSet = null;
        }
    }

    /**
     * Writes the header fields that differ per transport session into a finished message: export time (seconds since
     * the epoch), sequence number (data records sent before this message in the session, modulo 2^32) and observation
     * domain id. The position of {@code message} is left at 0.
     */
    public static void stamp(ByteBuffer message, long exportSeconds, long sequence, long observationDomain) {
        message.putInt(4, (int) exportSeconds).putInt(8, (int) sequence).putInt(12, (int) observationDomain);
        message.position(0);
    }

    /** A message holding one template set with {@code templates}, to be stamped and sent like any other. */
    public static ByteBuffer templateMessage(List<Template> templates) {
        int length = HEADER_LENGTH + SET_HEADER_LENGTH;
        for (Template t : templates) length += t.templateRecordLength();
        if (length > MAX_MESSAGE_LENGTH) throw new IllegalArgumentException("templates do not fit in one message");
        ByteBuffer b = ByteBuffer.allocateDirect(length).order(ByteOrder.BIG_ENDIAN);
        b.putShort((short) VERSION).putShort((short) length).putInt(0).putInt(0).putInt(0);
        b.putShort((short) TEMPLATE_SET_ID).putShort((short) (length - HEADER_LENGTH));
        for (Template t : templates) t.writeTemplateRecord(b);
        return b.flip();
    }
}
