/**
 * CO-RE ("compile once, run everywhere"): the relocations clang records in {@code .BTF.ext} for every instruction
 * that depends on a kernel type's layout, applied against the running kernel's BTF (or a given one) before the
 * program is loaded, the way libbpf's relo_core.c does: candidates by name (ignoring a {@code ___flavour} suffix),
 * accessor matching by member name, field offset/size/existence/signedness/bitfield shifts, type ids, existence and
 * sizes, enum values; an instruction whose relocation cannot be resolved is poisoned (a call to helper 0xbad2310) so
 * that the verifier names it unless it is dead code behind a {@code bpf_core_*_exists()} guard.
 */
package io.packetlens.ebpf.core;
