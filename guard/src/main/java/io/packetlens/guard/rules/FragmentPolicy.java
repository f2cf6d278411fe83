package io.packetlens.guard.rules;

import java.time.Duration;

/**
 * How fragments are judged: a non-first fragment takes the verdict its first fragment got, kept in a table of
 * {@code tableSize} datagrams for {@code timeout}; when the table is full, new datagrams are dropped
 * ({@code failClosed}) or passed unchecked, and counted either way.
 */
public record FragmentPolicy(int tableSize, Duration timeout, boolean failClosed) {
    public static final FragmentPolicy DEFAULT = new FragmentPolicy(8192, Duration.ofSeconds(30), true);
}
