package io.packetlens.ops.inspect;

import io.packetlens.ebpf.info.LinkInfo;
import io.packetlens.ebpf.info.MapInfo;
import io.packetlens.ebpf.info.Owners;
import io.packetlens.ebpf.info.ProgramInfo;

import java.util.List;

/**
 * Every BPF program, map and link in the system at one moment, with what the info structures alone do not say:
 * kernel memory (fdinfo memlock), owner processes, where each program is attached, which programs use each map.
 *
 * @param ownersComplete false when some processes' fds could not be read (not root): owners may then be missing
 * @param notes          what could not be read, and why
 */
public record Inventory(List<Program> programs, List<Map> maps, List<Link> links, boolean ownersComplete, List<String> notes) {

    /** A program: its info, kernel memory, the processes holding it, and every place it is attached. */
    public record Program(ProgramInfo info, long memlock, List<Owners.Owner> owners, List<Attachment> attachments) {}

    /** A map: its info, kernel memory, whether it is frozen, holders, and the programs using it. */
    public record Map(MapInfo info, long memlock, boolean frozen, List<Owners.Owner> owners, List<Integer> programIds) {}

    /** A link: its info, where it attaches (described), and the processes holding it. */
    public record Link(LinkInfo info, Attachment attachment, List<Owners.Owner> owners) {}

    public Inventory {
        programs = List.copyOf(programs);
        maps = List.copyOf(maps);
        links = List.copyOf(links);
        notes = List.copyOf(notes);
    }

    /** Kernel memory of every map and program, in bytes. */
    public long totalMemlock() {
        return programs.stream().mapToLong(Program::memlock).sum() + maps.stream().mapToLong(Map::memlock).sum();
    }
}
