package io.prefetchd.gateway.testing;

import static java.util.Objects.requireNonNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The host's side of a step-by-step conversation with a guest script, through marker files in a folder both see:
 * the guest writes a marker (JSON, renamed into place whole) when it reached a step, the host writes one to let it
 * go on. Used where the host must change something (S3's reachability, a held request) between the guest's steps.
 *
 * @param work the folder shared with the guest
 * @param run the guest's run, so that a guest that stopped early fails the wait at once
 * @param patience how long to wait for one marker
 */
public record GuestHandshake(Path work, CompletableFuture<VmNfsClient.Result> run, Duration patience) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public GuestHandshake {
        requireNonNull(work, "work is null");
        requireNonNull(run, "run is null");
        requireNonNull(patience, "patience is null");
    }

    /** The JSON the guest wrote when it reached {@code marker}. */
    public JsonNode await(String marker) throws Exception {
        Path f = work.resolve(marker);
        long deadline = System.nanoTime() + patience.toNanos();
        while (!Files.exists(f)) {
            if (run.isDone()) {
                fail("the guest stopped before " + marker + ": " + run.get().describe());
            }
            if (System.nanoTime() > deadline) {
                fail("the guest never reached " + marker + " within " + patience);
            }
            Thread.sleep(50); // polling for a marker with a deadline, not timing a result
        }
        return JSON.readTree(f.toFile());
    }

    /** Lets the guest go on past its wait for {@code marker}. */
    public void say(String marker) throws Exception {
        Files.writeString(work.resolve(marker), "go");
    }
}
