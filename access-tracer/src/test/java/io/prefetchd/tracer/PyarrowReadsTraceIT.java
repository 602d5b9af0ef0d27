package io.prefetchd.tracer;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A trace written by the tracer, read by pyarrow and pandas and queried by DuckDB exactly as {@code docs/TRACES.md}
 * shows. Needs a Python with pyarrow, pandas and duckdb: {@code $PREFETCHD_PYTHON}, else {@code python3}; without
 * them the test fails.
 *
 * <p><b>Not part of the default run (and so not of CI)</b>: Debian bookworm packages neither pyarrow nor duckdb, and
 * CI reaches no PyPI, so CI could only skip it. It is tagged {@value #TAG}, which the module's failsafe run excludes;
 * run it where those packages are installed:
 * {@code PREFETCHD_PYTHON=/path/to/python mvn -B -pl access-tracer verify -Dtest=NONE
 * -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=PyarrowReadsTraceIT -Dtracer.excluded.groups=none}
 * (e.g. with {@code python3 -m venv /tmp/py && /tmp/py/bin/pip install pyarrow pandas duckdb}).
 */
@Tag(PyarrowReadsTraceIT.TAG)
class PyarrowReadsTraceIT {
    static final String TAG = "needs-pyarrow";

    @TempDir
    Path state;

    private static String python() {
        String p = System.getenv("PREFETCHD_PYTHON");
        return p == null || p.isBlank() ? "python3" : p;
    }

    private static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", cmd));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private record Result(int status, String output) {
    }

    @Test
    void pyarrowAndDuckdb_readTheTraceAsDocumented() throws Exception {
        Result probe;
        try {
            probe = run(python(), "-c", "import pyarrow, pandas, duckdb");
        } catch (IOException noPython) {
            probe = new Result(127, noPython.getMessage());
        }
        assertEquals(0, probe.status(), "pyarrow, pandas and duckdb must be importable by " + python()
                + " (set PREFETCHD_PYTHON to a Python that has them): " + probe.output().strip());

        ManualClock clock = new ManualClock();
        AccessTracer t = AccessTracer.start(Tracers.config(state).withBatchRows(4), clock, Tracers.THREADS,
                TracerListener.NONE);
        Outcome[] outcomes = Outcome.values();
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofMillis(2));
            t.record("imagenet", "job-1", 9, "10.0.0.9:800", "train/shard-" + (i % 2) + ".tar", "\"e\"", 3,
                    i * 512L, 512, outcomes[i % 3], i % 3 == 2 ? 1000 : 0);
        }
        t.close();
        Path file = state.resolve("traces/imagenet/job-1/epoch-0.arrow");
        byte[] all = Files.readAllBytes(file);
        Path cut = state.resolve("cut.arrow");
        long cutAt;
        try (org.apache.arrow.memory.BufferAllocator alloc = new org.apache.arrow.memory.RootAllocator();
             org.apache.arrow.vector.ipc.ArrowFileReader reader = new org.apache.arrow.vector.ipc.ArrowFileReader(
                     java.nio.channels.FileChannel.open(file), alloc)) {
            var second = reader.getRecordBlocks().get(1);
            cutAt = second.getOffset() + second.getMetadataLength() + second.getBodyLength() + 5;
        }
        Files.write(cut, Arrays.copyOf(all, (int) cutAt)); // 5 bytes into the third batch: 2 whole batches remain

        Path script = state.resolve("check.py");
        try (InputStream in = getClass().getResourceAsStream("/pyarrow_check.py")) {
            Files.write(script, in.readAllBytes());
        }
        Result r = run(python(), script.toString(), file.toString(), cut.toString());
        assertEquals(0, r.status(), r.output());
        List<String> lines = r.output().lines().toList();
        assertEquals("rows 10", lines.get(0));
        assertEquals("schema time:timestamp[ns, tz=UTC],client_id:int64,client_address:string,object_key:string,"
                + "etag:string,file_id:int64,byte_offset:int64,byte_length:int32,"
                + "outcome:dictionary<values=string, indices=int8, ordered=0>,s3_wait_ns:int64,"
                + "dataset:dictionary<values=string, indices=int8, ordered=0>,"
                + "job:dictionary<values=string, indices=int8, ordered=0>,epoch:int32", lines.get(1));
        assertEquals("metadata imagenet 0", lines.get(2));
        assertEquals("first 2026-01-01T00:00:00.002000+00:00 train/shard-0.tar 0 512 CACHE_HIT imagenet 0",
                lines.get(3));
        assertEquals("outcomes CACHE_HIT=4,PREFETCH_HIT=3,S3_WAIT=3", lines.get(4));
        assertEquals("cut_rows 8", lines.get(5));
        assertEquals("duckdb CACHE_HIT=4/2048,PREFETCH_HIT=3/1536,S3_WAIT=3/1536", lines.get(6));
    }
}
