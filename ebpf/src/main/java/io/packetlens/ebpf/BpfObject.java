package io.packetlens.ebpf;

import java.util.Collections;
import java.util.Map;

/**
 * A loaded object: its maps and programs by name, all owned here, so that closing the
 * object releases every fd it created (maps passed in as replacements stay open).
 * Mirrors cilium/ebpf's Collection.
 */
public final class BpfObject implements AutoCloseable {
    private final String name;
    private final Map<String, BpfMap> maps;
    private final Map<String, BpfMap> owned;
    private final Map<String, BpfProgram> programs;

    BpfObject(String name, Map<String, BpfMap> maps, Map<String, BpfMap> owned, Map<String, BpfProgram> programs) {
        this.name = name;
        this.maps = maps;
        this.owned = owned;
        this.programs = programs;
    }

    public String name() {
        return name;
    }

    public Map<String, BpfMap> maps() {
        return Collections.unmodifiableMap(maps);
    }

    public Map<String, BpfProgram> programs() {
        return Collections.unmodifiableMap(programs);
    }

    public BpfMap map(String mapName) {
        BpfMap m = maps.get(mapName);
        if (m == null) throw new BpfException.NotFoundException("object " + name + " has no map '" + mapName + "' (maps: " + maps.keySet() + ")");
        return m;
    }

    public BpfProgram program(String programName) {
        BpfProgram p = programs.get(programName);
        if (p == null) throw new BpfException.NotFoundException("object " + name + " has no program '" + programName + "' (programs: " + programs.keySet() + ")");
        return p;
    }

    /**
     * The current value of a global variable of this object (its bytes in the .bss/.data/.rodata map, as the programs
     * left them), read with one map lookup; {@code variable} is from the spec this object was loaded from.
     */
    public byte[] read(Variable variable) {
        byte[] value = map(variable.map().name()).lookup(new byte[4])
                .orElseThrow(() -> new BpfException("global data map " + variable.map().name() + " has no element 0"));
        return java.util.Arrays.copyOfRange(value, variable.offset(), variable.offset() + variable.size());
    }

    /** {@link #read} of a variable of 1, 2, 4 or 8 bytes as an unsigned number (host byte order). */
    public long readLong(Variable variable) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(read(variable)).order(java.nio.ByteOrder.nativeOrder());
        return switch (variable.size()) {
            case 1 -> Byte.toUnsignedLong(b.get(0));
            case 2 -> Short.toUnsignedLong(b.getShort(0));
            case 4 -> Integer.toUnsignedLong(b.getInt(0));
            case 8 -> b.getLong(0);
            default -> throw new BpfException("variable " + variable.name() + " is " + variable.size() + " bytes, not a number");
        };
    }

    @Override
    public void close() {
        programs.values().forEach(BpfProgram::close);
        owned.values().forEach(BpfMap::close);
    }
}
