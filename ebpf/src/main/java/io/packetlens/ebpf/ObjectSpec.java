package io.packetlens.ebpf;

import io.packetlens.ebpf.btf.Btf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * A compiled BPF object read into a plain description, before anything exists in the
 * kernel: its maps, programs and global variables, all inspectable and changeable
 * (map sizes, .rodata constants, program types). {@link #load} then creates the kernel
 * objects. Mirrors cilium/ebpf's CollectionSpec.
 */
public final class ObjectSpec {
    private final String name;
    private final Map<String, MapSpec> maps;
    private final Map<String, ProgramSpec> programs;
    private final Map<String, Variable> variables;
    private final Btf btf;
    private final int coreRelocations;
    private final Map<String, Extern> externs;

    ObjectSpec(String name, Map<String, MapSpec> maps, Map<String, ProgramSpec> programs,
               Map<String, Variable> variables, Btf btf, int coreRelocations, Map<String, Extern> externs) {
        this.externs = externs;
        this.name = name;
        this.maps = maps;
        this.programs = programs;
        this.variables = variables;
        this.btf = btf;
        this.coreRelocations = coreRelocations;
    }

    /** Parses an ELF object from bytes; {@code name} is used in messages. */
    public static ObjectSpec read(String name, byte[] elf) {
        return ObjectReader.read(name, elf);
    }

    public static ObjectSpec read(Path file) {
        try {
            return read(file.getFileName().toString(), Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new BpfException.NotFoundException("BPF object file not found: " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("reading BPF object " + file, e);
        }
    }

    /** Reads an object packaged as a class-path resource (how packetlens ships its programs). */
    public static ObjectSpec fromResource(Class<?> anchor, String resource) {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new BpfException.NotFoundException("BPF object resource " + resource + " not found next to "
                        + anchor.getName() + " (was the build's clang step run? ./scripts/setup.sh then mvn package)");
            }
            return read(resource.substring(resource.lastIndexOf('/') + 1), in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("reading BPF object resource " + resource, e);
        }
    }

    public String name() {
        return name;
    }

    public Map<String, MapSpec> maps() {
        return Collections.unmodifiableMap(maps);
    }

    public Map<String, ProgramSpec> programs() {
        return Collections.unmodifiableMap(programs);
    }

    /**
     * Keeps only the named programs (and the subprograms they call): the others are not loaded, so the verifier's time
     * is spent only on what will be attached. Maps stay, used or not. Like libbpf's {@code bpf_program__set_autoload}.
     *
     * @throws BpfException.NotFoundException if a name is not a program of this object
     */
    public ObjectSpec retainPrograms(Collection<String> names) {
        for (String n : names) program(n);
        programs.keySet().retainAll(Set.copyOf(names));
        return this;
    }

    public Map<String, Variable> variables() {
        return Collections.unmodifiableMap(variables);
    }

    /** The object's BTF (with DATASEC fixups applied), or null if compiled without -g. */
    public Btf btf() {
        return btf;
    }

    /** CO-RE relocations present in the object; this loader does not apply them. */
    /** The object's externs (kconfig values, ksyms, kfuncs) by name, resolved against the kernel at load. */
    public Map<String, Extern> externs() {
        return java.util.Collections.unmodifiableMap(externs);
    }

    public int coreRelocations() {
        return coreRelocations;
    }

    public MapSpec map(String mapName) {
        MapSpec m = maps.get(mapName);
        if (m == null) throw new BpfException.NotFoundException("object " + name + " has no map '" + mapName + "' (maps: " + maps.keySet() + ")");
        return m;
    }

    public ProgramSpec program(String programName) {
        ProgramSpec p = programs.get(programName);
        if (p == null) throw new BpfException.NotFoundException("object " + name + " has no program '" + programName + "' (programs: " + programs.keySet() + ")");
        return p;
    }

    public Variable variable(String variableName) {
        Variable v = variables.get(variableName);
        if (v == null) throw new BpfException.NotFoundException("object " + name + " has no global variable '" + variableName + "' (variables: " + variables.keySet() + ")");
        return v;
    }

    public BpfObject load() {
        return load(LoadOptions.defaults());
    }

    /** Creates the maps, writes and freezes global data, and loads every program; on failure nothing is left behind. */
    public BpfObject load(LoadOptions options) {
        return ObjectLoader.load(this, options);
    }

    @Override
    public String toString() {
        return "ObjectSpec[" + name + " programs=" + programs.keySet() + " maps=" + maps.keySet() + "]";
    }
}
