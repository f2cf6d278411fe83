package io.packetlens.ebpf.tracing;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One debug line of a packetlens kernel program: a bpf_printk line (a {@link TraceLine}) whose message starts with
 * the prefix {@code packetlens_debug.h}'s {@code PL_DEBUG} writes, {@code pl:<tag>:<program>: <text>}.
 *
 * @param tag     the value of the program's {@code pl_debug} switch, which names the {@link KernelDebugLog} that turned
 *                its prints on
 * @param program the program's name ({@code PL_DEBUG_PROG}: {@code flow}, {@code guard}, ...)
 * @param text    what it printed after the prefix
 * @param trace   the whole trace line: task, pid and CPU the program ran on, timestamp
 */
public record KernelDebugLine(int tag, String program, String text, TraceLine trace) {
    private static final Pattern PREFIX = Pattern.compile("^pl:([0-9a-f]{1,8}):([A-Za-z0-9_-]{1,32}): (.*)$", Pattern.DOTALL);

    /** The debug line in {@code line}, or empty if it is not bpf_printk output with packetlens's prefix. */
    public static Optional<KernelDebugLine> parse(TraceLine line) {
        if (!line.isBpfPrintk()) return Optional.empty();
        Matcher m = PREFIX.matcher(line.message());
        if (!m.matches()) return Optional.empty();
        return Optional.of(new KernelDebugLine(Integer.parseUnsignedInt(m.group(1), 16), m.group(2), m.group(3), line));
    }

    /** The prefix of lines with this tag, as the program prints it ({@code %x} of the tag). */
    public static String prefix(int tag) {
        return "pl:" + Integer.toHexString(tag) + ":";
    }
}
