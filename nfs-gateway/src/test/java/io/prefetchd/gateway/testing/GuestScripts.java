package io.prefetchd.gateway.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Scripts that integration tests run inside the {@link VmNfsClient} guest, shipped as test
 * resources under {@code guest/}.
 *
 * <p>The guest sees the host's root file system read-only (and {@code /tmp} copy-on-write), so a
 * script written to any host directory before the run can be executed there by its host path.
 * The guest runs the host's own {@value #GUEST_PYTHON}.
 *
 * <p>{@code random_reads.py}: given a seed and files below the mount point, does N random
 * {@code os.pread} calls and prints one line per read with the MD5 of what came back; check the
 * output with {@link RandomReadsVerifier}. Example:
 * <pre>{@code
 * Path script = GuestScripts.writeRandomReads(tempDir);
 * List<String> cmd = GuestScripts.randomReadsCommand(script, null, 7, 200, dataset.imageKeys());
 * VmNfsClient.Result r = vm.run(port, "4.1", Duration.ofMinutes(3), cmd.toArray(String[]::new));
 * RandomReadsVerifier.verify(r.stdout(), dataset::content, 200).assertOk();
 * }</pre>
 */
public final class GuestScripts {

    /** Classpath resource of the random-read script. */
    public static final String RANDOM_READS_RESOURCE = "/guest/random_reads.py";
    /** Interpreter used in the guest (the host's, seen through the shared root). */
    public static final String GUEST_PYTHON = "/usr/bin/python3";
    public static final int DEFAULT_READS = 200;
    /** The module the Python guest scripts import their shared helpers from. */
    public static final String SHARED_MODULE = "guestlib.py";

    private GuestScripts() {
    }

    /** Copies {@code random_reads.py} into {@code dir} (created if needed) and returns its path. */
    public static Path writeRandomReads(Path dir) {
        return writeScript("random_reads.py", dir);
    }

    /**
     * Copies the guest script {@code guest/<name>} (a test resource) into {@code dir} (created if needed) and
     * returns its absolute path, which the guest can run as it is. A Python script gets the module its scripts share
     * ({@value #SHARED_MODULE}) beside it, where its {@code import} finds it.
     */
    public static Path writeScript(String name, Path dir) {
        requireNonNull(name, "name is null");
        requireNonNull(dir, "dir is null");
        if (name.endsWith(".py") && !name.equals(SHARED_MODULE)) {
            writeScript(SHARED_MODULE, dir);
        }
        String resource = "/guest/" + name;
        try (InputStream in = GuestScripts.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("test resource missing: " + resource);
            }
            Path target = Files.createDirectories(dir).resolve(name).toAbsolutePath();
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + " into " + dir, e);
        }
    }

    /**
     * The command line that runs the script.
     *
     * @param root directory the file names are relative to, or null for the guest's mount point
     *     ({@code $VM_NFS_MNT}, default {@value VmNfsClient#DEFAULT_MOUNT_POINT})
     * @param files file names relative to {@code root}, e.g. S3 keys
     */
    public static List<String> randomReadsCommand(Path script, String root, long seed, int count, List<String> files) {
        requireNonNull(script, "script is null");
        requireNonNull(files, "files is null");
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no files to read");
        }
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0: " + count);
        }
        List<String> cmd = new ArrayList<>(List.of(GUEST_PYTHON, script.toString()));
        if (root != null) {
            cmd.addAll(List.of("--root", root));
        }
        cmd.addAll(List.of("--seed", Long.toString(seed), "--count", Integer.toString(count), "--"));
        cmd.addAll(files);
        return List.copyOf(cmd);
    }
}
