package io.packetlens.ebpf.tracing;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The running kernel's own type information (/sys/kernel/btf/vmlinux), for reading kernel
 * structures from tracing programs without compile-time knowledge of their layout: the
 * byte offset of {@code sk_buff.len} on this kernel, for instance, handed to a program
 * as a .rodata constant (relocation by hand where CO-RE is not available).
 */
public final class KernelBtf {
    public static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    private static volatile Btf btf;

    private KernelBtf() {}

    /** The running kernel's BTF, parsed once (throws when the kernel publishes none). */
    public static Btf vmlinux() {
        return btf();
    }

    private static Btf btf() {
        Btf b = btf;
        if (b == null) {
            synchronized (KernelBtf.class) {
                if (btf == null) {
                    try {
                        btf = Btf.parse(Files.readAllBytes(VMLINUX));
                    } catch (IOException e) {
                        throw new BpfException("cannot read kernel BTF " + VMLINUX + " (kernel without CONFIG_DEBUG_INFO_BTF?): " + e, e);
                    }
                }
                b = btf;
            }
        }
        return b;
    }

    /** The byte offset of {@code member} in {@code struct structName}, looking inside anonymous structs and unions. */
    public static int offsetOf(String structName, String member) {
        Btf b = btf();
        BtfType s = b.findByName(BtfKind.STRUCT, structName)
                .orElseThrow(() -> new BpfException.NotFoundException("kernel BTF has no struct " + structName));
        OptionalLong bits = find(b, s.id(), member, 0);
        if (bits.isEmpty()) throw new BpfException.NotFoundException("struct " + structName + " has no member " + member + " on this kernel");
        if (bits.getAsLong() % 8 != 0) throw new BpfException("struct " + structName + "." + member + " is a bit field");
        return (int) (bits.getAsLong() / 8);
    }

    private static OptionalLong find(Btf b, int structId, String member, long base) {
        for (Btf.Member m : b.members(structId)) {
            if (m.name().equals(member)) return OptionalLong.of(base + m.bitOffset());
            if (m.name().isEmpty()) {
                BtfType t = b.resolve(m.type());
                if (t.kind() == BtfKind.STRUCT || t.kind() == BtfKind.UNION) {
                    OptionalLong inner = find(b, t.id(), member, base + m.bitOffset());
                    if (inner.isPresent()) return inner;
                }
            }
        }
        return OptionalLong.empty();
    }

    /** Whether this kernel publishes its BTF. */
    public static boolean available() {
        return Files.isReadable(VMLINUX);
    }
}
