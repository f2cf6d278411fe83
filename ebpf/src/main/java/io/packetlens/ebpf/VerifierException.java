package io.packetlens.ebpf;

/**
 * The kernel refused to load a program (or BTF); carries the verifier's log, which with
 * BTF line info loaded names the C source lines involved.
 */
public final class VerifierException extends BpfException {
    private final String log;

    public VerifierException(String what, int errno, String log) {
        super(what + " rejected by the kernel verifier (" + io.packetlens.ebpf.Errno.name(errno) + ")"
                + (log.isBlank() ? "" : ":\n" + tail(log)), errno, null);
        this.log = log;
    }

    /** The complete verifier log. */
    public String log() {
        return log;
    }

    /** The end of a long log is where the verifier explains the rejection. */
    private static String tail(String log) {
        String[] lines = log.strip().split("\n");
        int from = Math.max(0, lines.length - 40);
        StringBuilder b = new StringBuilder();
        if (from > 0) b.append("  ... (").append(from).append(" earlier lines in log())\n");
        for (int i = from; i < lines.length; i++) b.append("  ").append(lines[i]).append('\n');
        return b.toString();
    }
}
