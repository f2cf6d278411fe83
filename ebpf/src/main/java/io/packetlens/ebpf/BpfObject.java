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

    @Override
    public void close() {
        programs.values().forEach(BpfProgram::close);
        owned.values().forEach(BpfMap::close);
    }
}
