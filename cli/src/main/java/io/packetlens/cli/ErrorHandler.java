package io.packetlens.cli;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.VerifierException;
import picocli.CommandLine;

/**
 * Turns failures into one clear line on stderr (the verifier log in full for rejected
 * programs) and an exit code, instead of a stack trace; {@code PACKETLENS_DEBUG=1} shows the trace.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        var err = cl.getErr();
        if (e instanceof VerifierException v) {
            err.println("packetlens: " + v.getMessage().lines().findFirst().orElse(""));
            err.println(v.log());
        } else if (e instanceof BpfException || e instanceof UserException) {
            err.println("packetlens: " + e.getMessage());
        } else {
            err.println("packetlens: " + e);
        }
        if (System.getenv("PACKETLENS_DEBUG") != null) e.printStackTrace(err);
        err.flush();
        return 2;
    }
}
