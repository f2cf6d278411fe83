package io.packetlens.ebpf.elf;

import io.packetlens.ebpf.BpfException;

/** The object file is not a well-formed eBPF ELF object (corrupt, truncated, wrong machine). */
public final class ElfException extends BpfException {
    public ElfException(String message) {
        super(message);
    }
}
