package io.packetlens.ebpf.asm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encoding of {@code struct bpf_insn} (opcode byte, dst/src register nibbles, 16-bit
 * offset, 32-bit immediate) and the few opcodes the loader inspects or that small
 * hand-built programs (feature probes, tests) use.
 */
public final class Insn {
    public static final int SIZE = 8;
    /** BPF_LD | BPF_IMM | BPF_DW: the first half of a 16-byte ld_imm64. */
    public static final int LD_IMM64 = 0x18;
    /** BPF_JMP | BPF_CALL. */
    public static final int CALL = 0x85;
    /** BPF_JMP | BPF_EXIT. */
    public static final int EXIT = 0x95;
    /** BPF_ALU64 | BPF_MOV | BPF_K. */
    public static final int MOV64_IMM = 0xb7;
    /** BPF_ALU64 | BPF_MOV | BPF_X. */
    public static final int MOV64_REG = 0xbf;
    /** BPF_STX | BPF_MEM | BPF_DW / BPF_W. */
    public static final int STX_DW = 0x7b, ST_W_IMM = 0x62;
    /** BPF_ALU64 | BPF_ADD | BPF_K. */
    public static final int ADD64_IMM = 0x07;

    /** src_reg values of ld_imm64 and call. */
    public static final int PSEUDO_MAP_FD = 1, PSEUDO_MAP_VALUE = 2, PSEUDO_CALL = 1, PSEUDO_KFUNC_CALL = 2, PSEUDO_BTF_ID = 3, PSEUDO_FUNC = 4;

    private Insn() {}

    public static int code(byte[] insns, int index) {
        return insns[index * SIZE] & 0xff;
    }

    public static int src(byte[] insns, int index) {
        return (insns[index * SIZE + 1] >> 4) & 0xf;
    }

    public static int dst(byte[] insns, int index) {
        return insns[index * SIZE + 1] & 0xf;
    }

    public static void setSrc(byte[] insns, int index, int src) {
        int o = index * SIZE + 1;
        insns[o] = (byte) ((insns[o] & 0x0f) | (src << 4));
    }

    public static void setCode(byte[] insns, int index, int code) {
        insns[index * SIZE] = (byte) code;
    }

    public static void setRegs(byte[] insns, int index, int dst, int src) {
        insns[index * SIZE + 1] = (byte) ((src << 4) | (dst & 0xf));
    }

    /** The signed 16-bit offset field. */
    public static int off(byte[] insns, int index) {
        return (short) ((insns[index * SIZE + 2] & 0xff) | (insns[index * SIZE + 3] << 8));
    }

    public static void setOff(byte[] insns, int index, int off) {
        insns[index * SIZE + 2] = (byte) off;
        insns[index * SIZE + 3] = (byte) (off >> 8);
    }

    public static int imm(byte[] insns, int index) {
        return ByteBuffer.wrap(insns).order(ByteOrder.LITTLE_ENDIAN).getInt(index * SIZE + 4);
    }

    public static void setImm(byte[] insns, int index, int imm) {
        ByteBuffer.wrap(insns).order(ByteOrder.LITTLE_ENDIAN).putInt(index * SIZE + 4, imm);
    }

    /** Encodes one instruction. */
    public static byte[] encode(int code, int dst, int src, int off, int imm) {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) code).put((byte) ((src << 4) | (dst & 0xf))).putShort((short) off).putInt(imm).array();
    }

    /** Concatenates encoded instructions. */
    public static byte[] program(byte[]... insns) {
        ByteBuffer b = ByteBuffer.allocate(insns.length * SIZE);
        for (byte[] i : insns) {
            if (i.length % SIZE != 0) throw new IllegalArgumentException("not an instruction");
            b.put(i);
        }
        return b.array();
    }

    public static byte[] movImm(int dst, int imm) {
        return encode(MOV64_IMM, dst, 0, 0, imm);
    }

    public static byte[] exit() {
        return encode(EXIT, 0, 0, 0, 0);
    }

    public static byte[] call(int helper) {
        return encode(CALL, 0, 0, 0, helper);
    }

    /** ld_imm64 of a map fd into {@code dst} (two slots). */
    public static byte[] ldMapFd(int dst, int fd) {
        byte[] a = encode(LD_IMM64, dst, PSEUDO_MAP_FD, 0, fd);
        byte[] b = encode(0, 0, 0, 0, 0);
        return program(a, b);
    }
}
