package io.packetlens.ebpf.info;

import io.packetlens.ebpf.asm.Insn;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The kernel functions a loaded program calls, read from its translated instructions
 * ({@link ProgramInfo#xlatedInstructions}) the way {@code bpftool prog dump xlated} names them: the verifier rewrites
 * the {@code imm} of each helper call ({@code BPF_CALL}, src_reg 0) to the function's address minus
 * {@code __bpf_call_base}, which {@code /proc/kallsyms} resolves. Map operations the verifier inlined or turned into
 * direct calls appear under the map implementation's function ({@code htab_map_lookup_elem} ...), tail calls as
 * {@code bpf_tail_call}. A call kallsyms does not name (addresses hidden by {@code kptr_restrict}, or no root) counts
 * as {@code helper<imm>}.
 */
public final class HelperCalls {
    private static final Path KALLSYMS = Path.of("/proc/kallsyms");
    private static final int CALL = 0x85, TAIL_CALL = 0xf5, BPF_FUNC_TAIL_CALL = 12;

    private HelperCalls() {}

    /** Calls per function name in {@code xlated}, sorted by name. */
    public static Map<String, Integer> of(byte[] xlated) {
        Map<Integer, Integer> byImm = new HashMap<>();
        int tailCalls = 0;
        for (int i = 0; i + Insn.SIZE <= xlated.length; i += Insn.SIZE) {
            int index = i / Insn.SIZE;
            int code = Insn.code(xlated, index);
            if (code == TAIL_CALL) {
                tailCalls++;
            } else if (code == CALL && Insn.src(xlated, index) == 0) {
                byImm.merge(Insn.imm(xlated, index), 1, Integer::sum);
            }
        }
        Map<String, Integer> out = new TreeMap<>();
        if (tailCalls > 0) out.put("bpf_tail_call", tailCalls);
        if (byImm.isEmpty()) return out;
        Map<Integer, String> names = resolve(byImm.keySet());
        byImm.forEach((imm, n) -> {
            // the kernel dumps a tail call as a call with imm BPF_FUNC_tail_call
            String name = names.getOrDefault(imm, imm == BPF_FUNC_TAIL_CALL ? "bpf_tail_call" : "helper" + imm);
            out.merge(name, n, Integer::sum);
        });
        return out;
    }

    /** How often {@code xlated} calls the kernel function {@code name} (e.g. {@code bpf_trace_printk}). */
    public static int count(byte[] xlated, String name) {
        return of(xlated).getOrDefault(name, 0);
    }

    /** Names for call immediates: kallsyms' text symbols at {@code __bpf_call_base + imm}. */
    private static Map<Integer, String> resolve(Set<Integer> imms) {
        Map<Long, String> text = new HashMap<>();
        long base = 0;
        try (BufferedReader r = Files.newBufferedReader(KALLSYMS)) {
            String line;
            while ((line = r.readLine()) != null) {
                // "ffffffff814cdea0 T bpf_trace_printk" (a module symbol adds "\t[module]")
                int s1 = line.indexOf(' '), s2 = line.indexOf(' ', s1 + 1);
                if (s1 != 16 || s2 != 18) continue;
                char type = line.charAt(17);
                if (type != 'T' && type != 't') continue;
                int end = line.indexOf('\t', s2 + 1);
                String name = end < 0 ? line.substring(s2 + 1) : line.substring(s2 + 1, end);
                long addr = Long.parseUnsignedLong(line, 0, 16, 16);
                if (addr == 0) return Map.of(); // addresses hidden: nothing can be resolved
                if (name.equals("__bpf_call_base")) base = addr;
                text.putIfAbsent(addr, name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + KALLSYMS, e);
        }
        if (base == 0) return Map.of();
        Map<Integer, String> out = new HashMap<>();
        for (int imm : imms) {
            String name = text.get(base + imm);
            if (name != null) out.put(imm, name);
        }
        return out;
    }
}
