package io.prefetchd.gateway.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static java.util.Objects.requireNonNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The host's side of a step-by-step exchange with a guest script: marker files in the work folder shared with the
 * VM. The guest writes a JSON marker when it reaches a step ({@link #await}); the host answers with one of its own
 * ({@link #say}) when the guest may go on.
 *
 * @param work    the folder shared with the guest
 * @param run     the guest's run, to fail at once when it stops early
 * @param timeout how long a step may take at the most
 */
public record GuestHandshake(Path work, CompletableFuture<VmNfsClient.Result> run, Duration timeout) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public GuestHandshake {
        requireNonNull(work, "work is null");
        requireNonNull(run, "run is null");
        requireNonNull(timeout, "timeout is null");
    }

    /** Waits for the guest's {@code marker} and returns its JSON; fails when the guest stops first or never writes it. */
    public JsonNode await(String marker) throws Exception {
        Path f = work.resolve(marker);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(f)) {
            if (run.isDone()) {
                fail("the guest stopped before " + marker + ": " + run.get().describe());
            }
            if (System.nanoTime() > deadline) {
                fail("the guest never reached " + marker);
            }
            Thread.sleep(50); // polling for a marker with a deadline, not timing a result
        }
        return JSON.readTree(f.toFile());
    }

    /** Lets the guest go on past the step it waits at for {@code marker}. */
    public void say(String marker) throws Exception {
        Files.writeString(work.resolve(marker), "go");
    }
}
