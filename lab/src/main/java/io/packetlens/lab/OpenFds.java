package io.packetlens.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Counts this process's open file descriptors, for tests that check a component does not leak them. */
public final class OpenFds {

    private static final Path FD_DIR = Path.of("/proc/self/fd");

    private OpenFds() {
    }

    /** The number of entries in {@code /proc/self/fd}, not counting the descriptor used to list them. */
    public static int count() {
        Path listing = Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd");
        int count = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(FD_DIR)) {
            for (Path fd : fds) {
                if (!isListing(fd, listing)) {
                    count++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count;
    }

    private static boolean isListing(Path fd, Path listing) {
        try {
            return Files.readSymbolicLink(fd).equals(listing);
        } catch (IOException closedMeanwhile) {
            return true;
        }
    }
}
