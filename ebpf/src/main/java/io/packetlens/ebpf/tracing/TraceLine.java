package io.packetlens.ebpf.tracing;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of a tracefs {@code trace_pipe}, as the kernel's default output format writes it:
 * <pre>
 *  task-PID  [CPU] FLAGS  SECONDS.MICROS: EVENT: MESSAGE
 *  bpftool-21867   [001] b..11  8348.193141: bpf_trace_printk: plops marker 42
 * </pre>
 * (FLAGS is absent with the irq-info option off; a {@code (TGID)} column appears with record-tgid.)
 *
 * @param task      the command name of the task the program ran in ({@code <idle>} in softirq on an idle CPU)
 * @param timestamp seconds on the trace clock (by default the local clock, about boot time)
 * @param event     the event name ({@code bpf_trace_printk} for bpf_printk), or empty for a bare trace_printk line
 * @param message   what the program printed
 */
public record TraceLine(String task, int pid, int cpu, String flags, double timestamp, String event, String message) {
    private static final Pattern LINE = Pattern.compile(
            "^\\s*(.+?)-(\\d+)\\s+(?:\\(\\s*[-\\d]+\\)\\s+)?\\[(\\d+)\\]\\s+(?:(\\S{4,6})\\s+)?(\\d+\\.\\d+):\\s+(?:([A-Za-z_][\\w]*):\\s)?(.*)$");

    /** Parses one line (without its newline); empty if it is not in the trace format (e.g. a lost-events notice). */
    public static Optional<TraceLine> parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) return Optional.empty();
        return Optional.of(new TraceLine(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                m.group(4) == null ? "" : m.group(4), Double.parseDouble(m.group(5)), m.group(6) == null ? "" : m.group(6),
                m.group(7)));
    }

    /** Whether this is bpf_printk / bpf_trace_printk output. */
    public boolean isBpfPrintk() {
        return event.equals("bpf_trace_printk");
    }
}
