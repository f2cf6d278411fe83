package io.packetlens.export.ipfix;

import java.util.Objects;

/**
 * One field of a template: an information element (its id and, for enterprise-specific elements such as the RFC 5103
 * reverse elements of enterprise 29305, its private enterprise number), the fixed length it takes in a data record, and
 * how its value is written.
 *
 * @param name       the element's name, for documentation and messages
 * @param id         the information element id, 1..32767
 * @param enterprise 0 for IANA elements, else the private enterprise number
 * @param length     bytes in a data record (fixed; variable-length fields are not used)
 * @param writer     writes the value, exactly {@code length} bytes
 */
public record Field(String name, int id, long enterprise, int length, FieldWriter writer) {
    /** Enterprise number of RFC 5103 reverse information elements. */
    public static final long REVERSE_PEN = 29305;

    public Field {
        Objects.requireNonNull(name);
        Objects.requireNonNull(writer);
        if (id < 1 || id > 0x7fff) throw new IllegalArgumentException("information element id must be 1..32767: " + id);
        if (enterprise < 0 || enterprise > 0xffff_ffffL) throw new IllegalArgumentException("enterprise number out of range: " + enterprise);
        if (length < 1 || length >= 0xffff) throw new IllegalArgumentException("field length must be 1..65534: " + length);
    }

    /** An IANA element (enterprise 0). */
    public static Field iana(String name, int id, int length, FieldWriter writer) {
        return new Field(name, id, 0, length, writer);
    }

    public boolean enterpriseSpecific() {
        return enterprise != 0;
    }

    /** Bytes of this field's specifier in a template record: 4, or 8 with an enterprise number. */
    int specifierLength() {
        return enterpriseSpecific() ? 8 : 4;
    }
}
