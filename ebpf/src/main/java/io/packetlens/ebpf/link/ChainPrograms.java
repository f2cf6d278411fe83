package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ProgramSpec;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.asm.Insn;

import java.io.ByteArrayOutputStream;

/**
 * The three programs {@link XdpChain} writes itself, in raw instructions so that the library ships no object file:
 * the dispatcher attached to the interface, the stub that runs a process-scoped member, and the end program after the
 * last member. Each slot is tried with a constant index, which the JIT turns into a direct jump patched whenever the
 * slot changes (an empty slot costs a compare and a jump), exactly like {@code PL_XDP_CHAIN_NEXT} of
 * {@code packetlens_chain.h}. All three are XDP programs with expected attach type BPF_XDP, as members of section
 * {@code xdp} are: the kernel lets only programs of the prog array owner's kind into the array.
 */
final class ChainPrograms {
    static final String DISPATCHER = "pl_xdp_disp", STUB = "pl_xdp_stub", END = "pl_xdp_end";
    private static final int BPF_FUNC_TAIL_CALL = 12, XDP_PASS = 2;
    private static final int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R6 = 6;

    private ChainPrograms() {}

    /**
     * Tries the slots of {@code chain} in order from {@code first}, the chain's lowest occupied slot when it was made
     * ({@link XdpChain} replaces it whenever that moves); XDP_PASS when all are empty.
     */
    static BpfProgram dispatcher(BpfMap chain, int first) {
        if (first < 0 || first >= ChainLayout.SLOTS) throw new IllegalArgumentException("first slot " + first);
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        code.writeBytes(Insn.encode(Insn.MOV64_REG, R6, R1, 0, 0)); // the context survives the calls in r6
        for (int slot = first; slot < ChainLayout.SLOTS; slot++) tailCall(code, chain, slot);
        return load(DISPATCHER, finish(code));
    }

    /**
     * The chain slot of a process-scoped member: runs the member from {@code inner}'s slot 0, a prog array only the
     * member's process holds; once the kernel has emptied it (the process is gone) it goes on with the slots after
     * {@code slot}, like the member's own PL_XDP_CHAIN_NEXT would.
     */
    static BpfProgram stub(int slot, BpfMap inner, BpfMap chain) {
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        code.writeBytes(Insn.encode(Insn.MOV64_REG, R6, R1, 0, 0));
        tailCall(code, inner, 0);
        for (int s = slot + 1; s < ChainLayout.SLOTS; s++) tailCall(code, chain, s);
        return load(STUB, finish(code));
    }

    /** XDP_PASS: put after the last member, so its PL_XDP_CHAIN_NEXT stops at the first try instead of the last. */
    static BpfProgram end() {
        return load(END, finish(new ByteArrayOutputStream()));
    }

    /** r1 = ctx; r2 = map; r3 = slot; bpf_tail_call() (returns only if the slot is empty). */
    private static void tailCall(ByteArrayOutputStream code, BpfMap map, int slot) {
        code.writeBytes(Insn.encode(Insn.MOV64_REG, R1, R6, 0, 0));
        code.writeBytes(Insn.ldMapFd(R2, map.fd()));
        code.writeBytes(Insn.movImm(R3, slot));
        code.writeBytes(Insn.call(BPF_FUNC_TAIL_CALL));
    }

    private static byte[] finish(ByteArrayOutputStream code) {
        code.writeBytes(Insn.movImm(R0, XDP_PASS));
        code.writeBytes(Insn.exit());
        return code.toByteArray();
    }

    private static BpfProgram load(String name, byte[] insns) {
        // the map fds are in the instructions already, so the program loads on its own (no object, no relocations)
        return BpfProgram.load(ProgramSpec.of(name, ProgramType.XDP, "GPL", insns).attachType(AttachType.XDP));
    }
}
