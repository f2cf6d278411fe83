package io.packetlens.ebpf.tracing;

import io.packetlens.ebpf.BpfException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tracepoint's record layout from tracefs {@code events/<category>/<name>/format}: the
 * fields a tracepoint program reads from its context (name, C type, byte offset, size,
 * signedness), and the names {@code __print_symbolic} gives to a field's values (e.g. the
 * drop reasons of skb:kfree_skb). Offsets differ between kernels, so programs should take
 * them from here (through .rodata constants) instead of hard-coding a struct.
 */
public record TracepointFormat(String category, String name, int id, List<Field> fields, Map<String, Map<Long, String>> symbols) {

    /** One field of the record. */
    public record Field(String name, String type, int offset, int size, boolean signed) {}

    private static final Pattern FIELD = Pattern.compile(
            "field:(.+?)\\s+(\\w+)(\\[[^]]*])?;\\s*offset:(\\d+);\\s*size:(\\d+);\\s*signed:(\\d+);");
    private static final Pattern SYMBOLIC = Pattern.compile("__print_symbolic\\(REC->(\\w+),");
    private static final Pattern ENTRY = Pattern.compile("\\{\\s*(-?(?:0x)?[0-9a-fA-F]+)\\s*,\\s*\"([^\"]*)\"\\s*}");

    public TracepointFormat {
        fields = List.copyOf(fields);
        symbols = Map.copyOf(symbols);
    }

    /** Parses the text of a format file. */
    public static TracepointFormat parse(String category, String text) {
        String name = null;
        int id = -1;
        List<Field> fields = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.startsWith("name:")) name = l.substring(5).strip();
            else if (l.startsWith("ID:")) id = Integer.parseInt(l.substring(3).strip());
            Matcher m = FIELD.matcher(l);
            if (m.find()) {
                fields.add(new Field(m.group(2), m.group(1).strip() + (m.group(3) != null ? m.group(3) : ""),
                        Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), m.group(6).equals("1")));
            }
        }
        if (name == null || fields.isEmpty()) throw new BpfException("not a tracepoint format: " + text.lines().findFirst().orElse(""));
        return new TracepointFormat(category, name, id, fields, symbolics(text));
    }

    /** The value names of every {@code __print_symbolic(REC->field, {v, "NAME"}, ...)} in the print format. */
    private static Map<String, Map<Long, String>> symbolics(String text) {
        Map<String, Map<Long, String>> out = new HashMap<>();
        Matcher s = SYMBOLIC.matcher(text);
        while (s.find()) {
            // the entries run to the parenthesis that closes this __print_symbolic
            int depth = 1, i = s.end();
            while (i < text.length() && depth > 0) {
                char c = text.charAt(i++);
                if (c == '(') depth++;
                else if (c == ')') depth--;
            }
            Map<Long, String> names = new LinkedHashMap<>();
            Matcher e = ENTRY.matcher(text.substring(s.end(), i));
            while (e.find()) {
                String v = e.group(1);
                long value = v.startsWith("0x") || v.startsWith("-0x") ? Long.decode(v) : Long.parseLong(v);
                names.put(value, e.group(2));
            }
            out.merge(s.group(1), names, (x, y) -> {
                x.putAll(y);
                return x;
            });
        }
        return out;
    }

    /** The field called {@code fieldName}; a clear error naming the fields there are if missing. */
    public Field field(String fieldName) {
        for (Field f : fields) if (f.name().equals(fieldName)) return f;
        throw new BpfException.NotFoundException("tracepoint " + category + ":" + name + " has no field '" + fieldName
                + "' (fields: " + fields.stream().map(Field::name).toList() + ")");
    }

    /** The symbolic name of {@code value} of field {@code fieldName}, if the print format names it. */
    public Optional<String> symbol(String fieldName, long value) {
        return Optional.ofNullable(symbols.getOrDefault(fieldName, Map.of()).get(value));
    }

    /** The value the print format names {@code symbol} for field {@code fieldName}. */
    public Optional<Long> value(String fieldName, String symbol) {
        return symbols.getOrDefault(fieldName, Map.of()).entrySet().stream()
                .filter(e -> e.getValue().equals(symbol)).map(Map.Entry::getKey).findFirst();
    }
}
