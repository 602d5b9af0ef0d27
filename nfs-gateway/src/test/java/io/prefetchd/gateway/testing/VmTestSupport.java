package io.prefetchd.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** What the Linux client tests do around a guest run: require the VM, and a work folder the guest shares. */
public final class VmTestSupport {
    private VmTestSupport() {
    }

    /**
     * Skips the calling test when {@code vm} cannot run on this machine, and fails it instead under CI (the
     * {@code CI} environment variable set), where every Linux client test must run.
     */
    public static void requireVm(VmNfsClient vm) {
        if (System.getenv("CI") != null) {
            assertTrue(vm.isAvailable(), "CI must run the Linux client tests: " + vm.unavailableReason());
        }
        assumeTrue(vm.isAvailable(), vm.unavailableReason());
    }

    /**
     * A new folder under the host's {@code /tmp}, which the guest sees too; hand it to
     * {@link VmNfsClient.Options#share} and remove it with {@link #deleteTree}.
     */
    public static Path workFolder(String prefix) throws IOException {
        return Files.createTempDirectory(Path.of("/tmp"), prefix);
    }

    /** Deletes {@code dir} and everything below it, as far as it can. */
    public static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
