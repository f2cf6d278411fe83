package io.packetlens.ebpf;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A program before it is loaded: the fields of BPF_PROG_LOAD (type, expected attach type,
 * license, instructions) with its subprograms already linked in, the places that refer to
 * maps, and the BTF func_info / line_info records rebased to the linked instructions.
 * Changeable before loading (e.g. the type of a section libbpf conventions do not name).
 */
public final class ProgramSpec {
    /** Size of one {@code struct bpf_insn}. */
    public static final int INSN_SIZE = 8;

    private String name;
    private final String section;
    private ProgramType type;
    private AttachType attachType;
    private String license;
    private byte[] instructions;
    private final List<MapReference> mapReferences;
    private final byte[] funcInfo;
    private final int funcInfoRecordSize;
    private final byte[] lineInfo;
    private final int lineInfoRecordSize;
    private int ifindex;
    private int flags;
    private boolean attachBtf;
    private String attachTarget = "";
    private int attachBtfId;
    private int attachProgFd;
    private List<io.packetlens.ebpf.btf.BtfExt.CoreRelo> coreRelocations = List.of();
    private List<ExternReference> externReferences = List.of();

    public ProgramSpec(String name, String section, ProgramType type, AttachType attachType, String license,
                       byte[] instructions, List<MapReference> mapReferences,
                       byte[] funcInfo, int funcInfoRecordSize, byte[] lineInfo, int lineInfoRecordSize) {
        if (instructions.length % INSN_SIZE != 0) throw new BpfException("instruction bytes not a multiple of 8");
        this.name = Objects.requireNonNull(name);
        this.section = section;
        this.type = type;
        this.attachType = attachType;
        this.license = license;
        this.instructions = instructions;
        this.mapReferences = new ArrayList<>(mapReferences);
        this.funcInfo = funcInfo;
        this.funcInfoRecordSize = funcInfoRecordSize;
        this.lineInfo = lineInfo;
        this.lineInfoRecordSize = lineInfoRecordSize;
    }

    /** A program from raw instructions, without BTF information (feature probes, hand-written tests). */
    public static ProgramSpec of(String name, ProgramType type, String license, byte[] instructions) {
        return new ProgramSpec(name, null, type, null, license, instructions, List.of(), null, 0, null, 0);
    }

    public String name() { return name; }
    /** The ELF section the program came from, or null. */
    public String section() { return section; }
    public ProgramType type() { return type; }
    /** The expected attach type given at load, or null for none. */
    public AttachType attachType() { return attachType; }
    public String license() { return license; }
    /** Linked instructions, 8 bytes each (the array is the spec's own: changes take effect at load). */
    public byte[] instructions() { return instructions; }
    public int instructionCount() { return instructions.length / INSN_SIZE; }
    public List<MapReference> mapReferences() { return mapReferences; }
    byte[] funcInfo() { return funcInfo; }
    int funcInfoRecordSize() { return funcInfoRecordSize; }
    byte[] lineInfo() { return lineInfo; }
    int lineInfoRecordSize() { return lineInfoRecordSize; }
    public int ifindex() { return ifindex; }
    /** BPF_PROG_LOAD's prog_flags: BPF_F_SLEEPABLE for ".s" sections, BPF_F_XDP_HAS_FRAGS for "xdp.frags" ... */
    public int flags() { return flags; }
    /** Whether the program attaches by BTF id (fentry, fexit, fmod_ret, tp_btf, lsm, iter, freplace): loading needs one. */
    public boolean needsAttachBtf() { return attachBtf; }
    /**
     * What the program attaches to, from its section name after the '/': a kernel function (fentry, fexit, fmod_ret),
     * a tracepoint (tp_btf, tracepoint, raw_tp), an LSM hook, an iterator ("tcp", "task"), a kprobe's function;
     * "" when the section names none.
     */
    public String attachTarget() { return attachTarget; }
    /** attach_btf_id given at load; 0 means: looked up from {@link #attachTarget()} when {@link #needsAttachBtf()}. */
    public int attachBtfId() { return attachBtfId; }
    /** attach_prog_fd (freplace: the program whose function this one replaces), 0 for none. */
    public int attachProgFd() { return attachProgFd; }
    /**
     * An instruction that refers to a ksym or kfunc {@link Extern} by name: a call ({@code call}) or an ld_imm64 of its
     * address. Kconfig externs are {@link MapReference}s into the .kconfig map instead.
     */
    public record ExternReference(int instruction, String extern, boolean call) {}

    /** References to ksym and kfunc externs, resolved at load. */
    public List<ExternReference> externReferences() { return externReferences; }
    ProgramSpec externReferences(List<ExternReference> v) { externReferences = List.copyOf(v); return this; }
    /** CO-RE relocations, each at an instruction index of {@link #instructions()}: applied at load against the target BTF. */
    public List<io.packetlens.ebpf.btf.BtfExt.CoreRelo> coreRelocations() { return coreRelocations; }

    /** Whether BTF func and line info came with the program (verifier logs then show source lines). */
    public boolean hasLineInfo() {
        return lineInfo != null && lineInfo.length > 0;
    }

    public ProgramSpec name(String v) { name = Objects.requireNonNull(v); return this; }
    public ProgramSpec type(ProgramType v) { type = v; return this; }
    public ProgramSpec attachType(AttachType v) { attachType = v; return this; }
    public ProgramSpec license(String v) { license = v; return this; }
    public ProgramSpec instructions(byte[] v) { instructions = v; return this; }
    public ProgramSpec flags(int v) { flags = v; return this; }
    /** Attaches by BTF id to {@code target} (a kernel function, tracepoint, LSM hook or iterator name), as the section would say. */
    public ProgramSpec attachTarget(String target) { attachTarget = Objects.requireNonNull(target); attachBtf = true; return this; }
    ProgramSpec coreRelocations(List<io.packetlens.ebpf.btf.BtfExt.CoreRelo> v) { coreRelocations = List.copyOf(v); return this; }
    /** The section's target for programs that do not attach by BTF id (a tracepoint, a kprobe's function). */
    ProgramSpec target(String target) { attachTarget = Objects.requireNonNull(target); return this; }
    /** attach_btf_id, for a target found by other means (a module's BTF, a program's own BTF for freplace). */
    public ProgramSpec attachBtfId(int v) { attachBtfId = v; return this; }
    /** attach_prog_fd: for freplace, the loaded program whose global function {@link #attachTarget()} this replaces. */
    public ProgramSpec attachProgFd(int v) { attachProgFd = v; return this; }
    /** Offload target interface (prog_ifindex), 0 for none. */
    public ProgramSpec ifindex(int v) { ifindex = v; return this; }

    @Override
    public String toString() {
        return "ProgramSpec[" + name + " " + type + (attachType != null ? "/" + attachType : "")
                + (section != null ? " section=" + section : "") + " insns=" + instructionCount()
                + " maps=" + mapReferences.stream().map(MapReference::map).distinct().toList() + "]";
    }
}
