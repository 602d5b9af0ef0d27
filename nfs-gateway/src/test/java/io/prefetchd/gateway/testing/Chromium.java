package io.prefetchd.gateway.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Debian's {@code chromium}, headless, for tests that check what an HTML page looks like: a screenshot (PNG) or
 * the DOM after parsing ({@code --dump-dom}). Each run gets its own profile folder (given by the caller, a temp
 * dir), a page-load budget ({@code --timeout}) and a process deadline; no sandbox (tests may run as root) and no
 * GPU. Flags: https://developer.chrome.com/docs/automation-and-testing/headless-cli.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Chromium {
    /** Package that provides the browser, for messages. */
    public static final String DEBIAN_PACKAGE = "chromium";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);
    private static final List<Path> SEARCH = List.of(Path.of("/usr/bin"), Path.of("/usr/local/bin"), Path.of("/bin"));

    private final Path exe;

    private Chromium(Path exe) {
        this.exe = exe;
    }

    /** Finds {@code chromium} on {@code PATH} or in the usual directories. */
    public static Chromium locate() {
        List<Path> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            Arrays.stream(path.split(":")).filter(s -> !s.isEmpty()).map(Path::of).forEach(dirs::add);
        }
        dirs.addAll(SEARCH);
        Optional<Path> found = dirs.stream().map(d -> d.resolve("chromium"))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
        return new Chromium(found.orElse(null));
    }

    public boolean isAvailable() {
        return exe != null;
    }

    public String unavailableReason() {
        return isAvailable() ? "chromium is available" : "chromium not found: apt-get install -y " + DEBIAN_PACKAGE;
    }

    /** Renders {@code page} at {@code width}×{@code height} CSS pixels into {@code png}; throws with stderr if it fails. */
    public void screenshot(Path page, Path png, int width, int height, Path profileDir) {
        requireNonNull(png, "png is null");
        run(page, profileDir, List.of("--screenshot=" + png.toAbsolutePath(), "--window-size=" + width + "," + height,
                "--hide-scrollbars"));
        if (!Files.isRegularFile(png)) {
            throw new IllegalStateException("chromium wrote no screenshot to " + png);
        }
    }

    /** The page's DOM as chromium serializes it after parsing. */
    public String dumpDom(Path page, Path profileDir) {
        return new String(run(page, profileDir, List.of("--dump-dom")), StandardCharsets.UTF_8);
    }

    private byte[] run(Path page, Path profileDir, List<String> extra) {
        requireNonNull(page, "page is null");
        requireNonNull(profileDir, "profileDir is null");
        if (!isAvailable()) {
            throw new IllegalStateException(unavailableReason());
        }
        List<String> argv = new ArrayList<>(List.of(exe.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", "--mute-audio",
                "--user-data-dir=" + profileDir.toAbsolutePath(), "--timeout=20000"));
        argv.addAll(extra);
        argv.add(page.toAbsolutePath().toUri().toString());
        try {
            Files.createDirectories(profileDir);
            ProcessRunner.Completed c = ProcessRunner.run(argv, DEFAULT_TIMEOUT, profileDir, Map.of());
            if (c.timedOut() || c.exitCode() != 0) {
                throw new IllegalStateException("chromium " + (c.timedOut() ? "timed out after "
                        + DEFAULT_TIMEOUT.toSeconds() + " s" : "exited " + c.exitCode()) + ": " + argv + "\n"
                        + ProcessRunner.tail(new String(c.stderr(), StandardCharsets.UTF_8), 20));
            }
            return c.stdout();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv, e);
        }
    }
}
