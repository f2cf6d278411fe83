package io.packetlens.ops.dump;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.Writer;

/**
 * Where formatted values go: JSON through Jackson's streaming generator, or the compact text of {@code inspect map}
 * ({@code {packets: 3, name: "eth0"}}). One interface so the BTF formatter is compiled once for both.
 */
interface Sink {
    void startObject() throws IOException;

    void field(String name) throws IOException;

    void endObject() throws IOException;

    void startArray() throws IOException;

    void endArray() throws IOException;

    void number(long v) throws IOException;

    void unsigned(long v) throws IOException;

    void decimal(double v) throws IOException;

    void bool(boolean v) throws IOException;

    void string(String v) throws IOException;

    /** A value with no better form: its bytes in hex (a string in JSON, bare in text). */
    void hex(String v) throws IOException;

    /** A name standing for a value (an enumerator): a string in JSON, bare in text. */
    default void symbol(String v) throws IOException {
        hex(v);
    }

    /** JSON: the generator writes the syntax. */
    final class Json implements Sink {
        final JsonGenerator g;

        Json(JsonGenerator g) {
            this.g = g;
        }

        @Override public void startObject() throws IOException { g.writeStartObject(); }
        @Override public void field(String name) throws IOException { g.writeFieldName(name); }
        @Override public void endObject() throws IOException { g.writeEndObject(); }
        @Override public void startArray() throws IOException { g.writeStartArray(); }
        @Override public void endArray() throws IOException { g.writeEndArray(); }
        @Override public void number(long v) throws IOException { g.writeNumber(v); }
        @Override public void unsigned(long v) throws IOException {
            if (v >= 0) g.writeNumber(v);
            else g.writeNumber(new java.math.BigInteger(Long.toUnsignedString(v)));
        }
        @Override public void decimal(double v) throws IOException { g.writeNumber(v); }
        @Override public void bool(boolean v) throws IOException { g.writeBoolean(v); }
        @Override public void string(String v) throws IOException { g.writeString(v); }
        @Override public void hex(String v) throws IOException { g.writeString(v); }
    }

    /** Text: {@code {a: 1, b: [1, 2], c: "s"}}, commas handled by a small stack of "first element" flags. */
    final class Text implements Sink {
        private final Writer out;
        private final boolean[] first = new boolean[64];
        private int depth;
        private boolean afterField;

        Text(Writer out) {
            this.out = out;
        }

        private void separate() throws IOException {
            if (afterField) {
                afterField = false;
                return;
            }
            if (depth > 0) {
                if (!first[depth]) out.write(", ");
                first[depth] = false;
            }
        }

        private void open(char c) throws IOException {
            separate();
            out.write(c);
            depth++;
            first[depth] = true;
        }

        @Override public void startObject() throws IOException { open('{'); }
        @Override public void field(String name) throws IOException {
            separate();
            out.write(name);
            out.write(": ");
            afterField = true;
        }
        @Override public void endObject() throws IOException { depth--; out.write('}'); }
        @Override public void startArray() throws IOException { open('['); }
        @Override public void endArray() throws IOException { depth--; out.write(']'); }
        @Override public void number(long v) throws IOException { separate(); out.write(Long.toString(v)); }
        @Override public void unsigned(long v) throws IOException { separate(); out.write(Long.toUnsignedString(v)); }
        @Override public void decimal(double v) throws IOException { separate(); out.write(Double.toString(v)); }
        @Override public void bool(boolean v) throws IOException { separate(); out.write(v ? "true" : "false"); }
        @Override public void string(String v) throws IOException {
            separate();
            out.write('"');
            out.write(v.replace("\\", "\\\\").replace("\"", "\\\""));
            out.write('"');
        }
        @Override public void hex(String v) throws IOException { separate(); out.write(v); }

        /** Starts a new top-level value (a key, a value). */
        void reset() {
            depth = 0;
            afterField = false;
        }
    }
}
