package io.packetlens.programs.filter;

/** A capture filter expression that is malformed or asks for something the map-based filter cannot express. */
public final class FilterSyntaxException extends IllegalArgumentException {
    public FilterSyntaxException(String message) {
        super(message);
    }
}
