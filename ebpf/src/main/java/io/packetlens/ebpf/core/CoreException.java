package io.packetlens.ebpf.core;

import io.packetlens.ebpf.BpfException;

/** A CO-RE relocation that cannot be applied safely (malformed, ambiguous, or an instruction of an unexpected form). */
public final class CoreException extends BpfException {
    public CoreException(String message) {
        super(message);
    }
}
