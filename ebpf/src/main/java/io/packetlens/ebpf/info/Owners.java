package io.packetlens.ebpf.info;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Which processes hold which BPF objects: every /proc/PID/fd entry that links to {@code anon_inode:bpf-prog},
 * {@code bpf-map}, {@code bpf-link} or {@code btf}, with the object's id from its fdinfo (what bpftool's {@code pids}
 * shows, found without a BPF iterator). Another user's processes can only be read with CAP_SYS_PTRACE (root): the scan
 * counts what it could not read, so a caller can say its answer is incomplete.
 */
public final class Owners {
    private static final Path PROC = Path.of("/proc");

    /** A process holding an object through file descriptor {@code fd}. */
    public record Owner(long pid, String command, int fd) {}

    /**
     * @param processes  processes looked at
     * @param unreadable processes whose fds could not be read (another user's, without CAP_SYS_PTRACE)
     */
    public record Scan(Map<ObjectKind, Map<Integer, List<Owner>>> owners, int processes, int unreadable) {
        /** The holders of object {@code id} of {@code kind}, one entry per fd (a process may hold several). */
        public List<Owner> of(ObjectKind kind, int id) {
            return owners.getOrDefault(kind, Map.of()).getOrDefault(id, List.of());
        }

        /** Whether every process could be read (else owners may be missing: run as root). */
        public boolean complete() {
            return unreadable == 0;
        }
    }

    private Owners() {}

    /** Scans every process now. */
    public static Scan scan() {
        Map<ObjectKind, Map<Integer, List<Owner>>> owners = new EnumMap<>(ObjectKind.class);
        int processes = 0, unreadable = 0;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, p -> isNumber(p.getFileName().toString()))) {
            for (Path proc : procs) {
                processes++;
                long pid = Long.parseLong(proc.getFileName().toString());
                if (!scanProcess(pid, proc, owners)) unreadable++;
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        return new Scan(owners, processes, unreadable);
    }

    /** Adds the BPF fds of one process; false if its fds could not be listed. */
    private static boolean scanProcess(long pid, Path proc, Map<ObjectKind, Map<Integer, List<Owner>>> owners) {
        String command = null;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fdPath : fds) {
                String target;
                try {
                    target = Files.readSymbolicLink(fdPath).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                if (!target.startsWith("anon_inode:")) continue;
                ObjectKind kind = ObjectKind.ofAnonInode(target.substring("anon_inode:".length()));
                if (kind == null) continue;
                int fd = Integer.parseInt(fdPath.getFileName().toString());
                OptionalLong id = FdInfo.read(pid, fd).map(i -> i.number(kind.fdinfoIdKey())).orElse(OptionalLong.empty());
                if (id.isEmpty()) continue;
                if (command == null) command = command(proc);
                owners.computeIfAbsent(kind, k -> new HashMap<>()).computeIfAbsent((int) id.getAsLong(), k -> new ArrayList<>())
                        .add(new Owner(pid, command, fd));
            }
            return true;
        } catch (java.nio.file.NoSuchFileException e) {
            return true; // exited meanwhile: it holds nothing now
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private static String command(Path proc) {
        try {
            return Files.readString(proc.resolve("comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) if (!Character.isDigit(s.charAt(i))) return false;
        return true;
    }
}
