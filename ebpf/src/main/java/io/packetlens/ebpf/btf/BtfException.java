package io.packetlens.ebpf.btf;

import io.packetlens.ebpf.BpfException;

/** Malformed or unsupported BTF type information in an object file. */
public final class BtfException extends BpfException {
    public BtfException(String message) {
        super(message);
    }
}
