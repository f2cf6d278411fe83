package io.packetlens.ebpf;

/**
 * An {@code extern} of a BPF object, resolved at load against the running kernel: a {@code __kconfig} value
 * (CONFIG_* from the kernel's configuration, LINUX_KERNEL_VERSION ...) kept in the object's read-only
 * {@code .kconfig} map, a {@code __ksym} variable (typed: the kernel's BTF id of its VAR; untyped {@code void}:
 * its address from /proc/kallsyms), or a kfunc (the kernel's BTF id of its FUNC). A weak extern the kernel lacks
 * becomes zero (kconfig, ksym) or a poisoned call that must be dead code ({@code bpf_ksym_exists()}).
 *
 * @param index     the extern's place in libbpf's order (kconfig by alignment, size and name, then ksyms by
 *                  name), which numbers a missing weak kfunc's poisoned call
 * @param typeId    in the object's BTF: the VAR's type, or the FUNC's prototype
 * @param kind      what resolves it
 * @param offset    for kconfig, the byte offset of its value in the .kconfig map; else 0
 * @param size      for kconfig, the bytes of its value
 */
public record Extern(String name, Kind kind, boolean weak, int typeId, int index, int offset, int size) {
    /** What an extern stands for. */
    public enum Kind { KCONFIG, KSYM_TYPED, KSYM_UNTYPED, KFUNC }
}
