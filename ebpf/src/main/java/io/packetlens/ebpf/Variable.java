package io.packetlens.ebpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A global variable of a kernel program ({@code .rodata}, {@code .data} or {@code .bss}):
 * its place in the section's array map. Setting it before load changes the map's initial
 * contents; for {@code const volatile} variables in {@code .rodata} the map is frozen after
 * load, so the verifier treats the value as a constant (libbpf's configuration idiom).
 */
public final class Variable {
    private final String name;
    private final MapSpec map;
    private final int offset;
    private final int size;

    Variable(String name, MapSpec map, int offset, int size) {
        this.name = name;
        this.map = map;
        this.offset = offset;
        this.size = size;
    }

    public String name() { return name; }
    public MapSpec map() { return map; }
    public int offset() { return offset; }
    public int size() { return size; }

    /** True for variables in a read-only section (.rodata): constants to the verifier. */
    public boolean isConstant() {
        return map.dataSection() != null && map.dataSection().startsWith(".rodata");
    }

    public Variable set(byte[] value) {
        if (value.length != size) {
            throw new BpfException("variable " + name + " is " + size + " bytes, value given is " + value.length);
        }
        byte[] c = map.contents();
        if (c == null) {
            c = new byte[map.valueSize()];
            map.contents(c);
        }
        System.arraycopy(value, 0, c, offset, size);
        return this;
    }

    public Variable set(long value) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        byte[] all = b.array();
        if (size > 8) throw new BpfException("variable " + name + " is " + size + " bytes, not an integer");
        if (size < 8 && (value >> (size * 8)) != 0 && (value >> (size * 8)) != -1) {
            throw new BpfException("value " + value + " does not fit in " + size + "-byte variable " + name);
        }
        byte[] v = new byte[size];
        System.arraycopy(all, 0, v, 0, size);
        return set(v);
    }

    public Variable set(boolean value) {
        return set(value ? 1L : 0L);
    }

    public byte[] get() {
        byte[] v = new byte[size];
        if (map.contents() != null) System.arraycopy(map.contents(), offset, v, 0, size);
        return v;
    }

    public long getLong() {
        byte[] v = new byte[8];
        System.arraycopy(get(), 0, v, 0, Math.min(8, size));
        return ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Override
    public String toString() {
        return "Variable[" + name + " in " + map.name() + " +" + offset + " size " + size + "]";
    }
}
