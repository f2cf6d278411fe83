package io.packetlens.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A YAML configuration read into a tree, with the line of every key kept aside so that errors can
 * say where the bad key is. {@link #root()} is where a reader starts.
 */
public final class ConfigDocument {
    private static final YAMLFactory YAML = new YAMLFactory();
    private final JsonNode tree;
    private final Map<String, Integer> lines;
    private final String source;

    private ConfigDocument(JsonNode tree, Map<String, Integer> lines, String source) {
        this.tree = tree == null ? MissingNode.getInstance() : tree;
        this.lines = lines;
        this.source = source;
    }

    /** Reads a file; a missing or unreadable file or invalid YAML is a {@link ConfigException}. */
    public static ConfigDocument read(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new ConfigException("", "configuration file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("", "cannot read configuration file " + file + ": " + e.getMessage());
        }
    }

    public static ConfigDocument parse(String yaml) {
        return parse(yaml, "<text>");
    }

    private static ConfigDocument parse(String yaml, String source) {
        JsonNode tree;
        Map<String, Integer> lines = new HashMap<>();
        try {
            tree = new ObjectMapper(YAML).readTree(yaml);
            try (JsonParser p = YAML.createParser(yaml)) {
                for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                    if (t == JsonToken.FIELD_NAME || t.isScalarValue() || t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                        JsonPointer at = p.getParsingContext().pathAsPointer();
                        lines.putIfAbsent(at.toString(), p.currentTokenLocation().getLineNr());
                    }
                }
            }
        } catch (JacksonException e) {
            throw new ConfigException("", "not valid YAML: " + e.getOriginalMessage(),
                    e.getLocation() != null ? e.getLocation().getLineNr() : -1);
        } catch (IOException e) {
            throw new ConfigException("", "cannot read configuration " + source + ": " + e.getMessage());
        }
        return new ConfigDocument(tree, lines, source);
    }

    /** The top-level node; a document with nothing in it is an empty mapping's worth of defaults. */
    public ConfigNode root() {
        return new ConfigNode("", JsonPointer.empty(), tree, this);
    }

    /** Whether the document holds no options at all. */
    public boolean isEmpty() {
        return tree.isMissingNode() || tree.isNull() || (tree.isObject() && tree.isEmpty());
    }

    /** Where the document came from (a file name), for messages. */
    public String source() {
        return source;
    }

    int line(JsonPointer at) {
        Integer l = lines.get(at.toString());
        return l == null ? -1 : l;
    }
}
