package io.packetlens.export.ipfix;

import io.packetlens.flow.FinishedFlow;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * An IPFIX template (RFC 7011 section 3.4.1): an id of 256 or more and an ordered list of {@link Field}s. It writes its
 * own template record and, for a flow, a data record of {@link #recordLength()} bytes. A biflow template is just another
 * list of fields.
 */
public final class Template {
    private final int id;
    private final String name;
    private final Field[] fields;
    private final int recordLength;
    private final int templateRecordLength;

    public Template(int id, String name, List<Field> fields) {
        if (id < 256 || id > 0xffff) throw new IllegalArgumentException("template ids are 256..65535: " + id);
        if (fields.isEmpty()) throw new IllegalArgumentException("a template needs fields");
        this.id = id;
        this.name = name;
        this.fields = fields.toArray(Field[]::new);
        int data = 0, spec = 4;
        for (Field f : this.fields) {
            data += f.length();
            spec += f.specifierLength();
        }
        this.recordLength = data;
        this.templateRecordLength = spec;
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    public List<Field> fields() {
        return List.of(fields);
    }

    /** Bytes of one data record. */
    public int recordLength() {
        return recordLength;
    }

    /** Bytes of this template's record in a template set. */
    public int templateRecordLength() {
        return templateRecordLength;
    }

    /** Writes the template record: id, field count, then each field specifier (with the enterprise bit and number). */
    public void writeTemplateRecord(ByteBuffer out) {
        out.putShort((short) id);
        out.putShort((short) fields.length);
        for (Field f : fields) {
            out.putShort((short) (f.enterpriseSpecific() ? f.id() | 0x8000 : f.id()));
            out.putShort((short) f.length());
            if (f.enterpriseSpecific()) out.putInt((int) f.enterprise());
        }
    }

    /** Writes one data record for {@code flow}. */
    public void writeRecord(ByteBuffer out, FinishedFlow flow) {
        for (Field f : fields) {
            int before = out.position();
            f.writer().write(out, flow);
            assert out.position() - before == f.length() : f.name() + " wrote " + (out.position() - before) + " bytes";
        }
    }

    @Override
    public String toString() {
        return "template " + id + " (" + name + ", " + fields.length + " fields, " + recordLength + " bytes a record)";
    }
}
