package io.prefetchd.tracer.cli;

import io.prefetchd.tracer.AccessTracer;
import io.prefetchd.tracer.NanoClock;
import io.prefetchd.tracer.Outcome;
import io.prefetchd.tracer.TracerConfig;
import io.prefetchd.tracer.TracerListener;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceCommandTest {
    @TempDir
    Path state;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void writeTraces() {
        AtomicLong now = new AtomicLong(1_767_225_600_000_000_000L); // 2026-01-01T00:00:00Z
        NanoClock clock = now::get;
        AccessTracer t = AccessTracer.start(TracerConfig.defaults(state).withFsync(false), clock, r -> {
            Thread th = new Thread(r);
            th.setDaemon(true);
            th.start();
        }, TracerListener.NONE);
        t.datasetSize("imagenet", 300);
        for (int i = 0; i < 5; i++) {
            now.addAndGet(1_500_000);
            t.record("imagenet", "job-1", 0xabcL, "10.0.0.2:900", "train/a,b.tar", "\"etag\"", 77, i * 100L, 100,
                    i % 2 == 0 ? Outcome.CACHE_HIT : Outcome.S3_WAIT, i % 2 == 0 ? 0 : 2_000_000);
        }
        t.close();
    }

    private int run(String... args) {
        return TraceCommand.run(args, new PrintWriter(out), new PrintWriter(err));
    }

    @Test
    void ls_listsEpochsWithTotals() {
        assertEquals(0, run("--state-dir", state.toString(), "ls"), err.toString());
        List<String> lines = out.toString().lines().toList();
        assertEquals(3, lines.size(), out.toString());
        assertTrue(lines.get(0).startsWith("EPOCH "), lines.get(0));
        assertTrue(lines.get(1).matches("imagenet/job-1/0 +1 +3 +300 B +66\\.7% +2\\.0 ms +.* complete +imagenet"), lines.get(1));
        assertTrue(lines.get(2).matches("imagenet/job-1/1 +1 +2 +200 B +50\\.0% +2\\.0 ms +.* complete +imagenet"), lines.get(2));
    }

    @Test
    void stateDir_isAcceptedAfterTheSubcommandToo() {
        assertEquals(0, run("ls", "--state-dir", state.toString()), err.toString());
        assertTrue(out.toString().contains("imagenet/job-1/0"));
    }

    @Test
    void ls_onAnEmptyFolder_saysSo() {
        assertEquals(0, run("ls", "--state-dir", state.resolve("empty").toString()));
        assertTrue(out.toString().startsWith("no traces under "), out.toString());
    }

    @Test
    void show_printsSummaryAndHead() {
        assertEquals(0, run("show", "imagenet/job-1/0", "--head", "2", "--state-dir", state.toString()),
                err.toString());
        String s = out.toString();
        assertTrue(s.contains("(dataset 'imagenet', job 'job-1', epoch 0)"), s);
        assertTrue(s.contains("reads     3   bytes 300 B   objects 1   clients 1"), s);
        assertTrue(s.contains("time      2026-01-01T00:00:00.001500Z .. 2026-01-01T00:00:00.004500Z  (3.0 ms)"), s);
        assertTrue(s.contains("CACHE_HIT 2 (66.7%)"), s);
        assertTrue(s.contains("2026-01-01T00:00:00.001500Z  10.0.0.2:900  train/a,b.tar  0       100     CACHE_HIT"),
                s);
        assertTrue(s.contains("(first 2 of 3 reads;"), s);
    }

    @Test
    void datasetNamedByItsPath_isListedByThatPath_andShownByIt() {
        Path named = state.resolve("named");
        AccessTracer t = AccessTracer.start(TracerConfig.defaults(named).withFsync(false), () -> 1_000_000L, r -> {
            Thread th = new Thread(r);
            th.setDaemon(true);
            th.start();
        }, TracerListener.NONE);
        t.beginEpoch("imagefolder/train", "run1", 2);
        t.record("imagefolder/train", "run1", 1, "", "imagefolder/train/cat/0001.jpg", "", 5, 0, 100,
                Outcome.CACHE_HIT, 0);
        t.close();

        assertEquals(0, run("ls", "--state-dir", named.toString()), err.toString());
        List<String> lines = out.toString().lines().toList();
        assertEquals(2, lines.size(), out.toString());
        assertTrue(lines.get(0).endsWith("DATASET"), lines.get(0));
        assertTrue(lines.get(1).matches("imagefolder_train~[0-9a-f]{12}/run1/2 .* complete +imagefolder/train"),
                lines.get(1));

        assertEquals(0, run("show", "imagefolder/train/run1/2", "--head", "0", "--state-dir", named.toString()),
                err.toString());
        assertTrue(out.toString().contains("(dataset 'imagefolder/train', job 'run1', epoch 2)"), out.toString());
    }

    @Test
    void show_acceptsAFilePath() {
        Path file = state.resolve("traces/imagenet/job-1/epoch-1.arrow");
        assertEquals(0, run("show", file.toString(), "--head", "0"), err.toString());
        assertTrue(out.toString().contains("reads     2 "), out.toString());
    }

    @Test
    void export_writesCsvWithQuotedFields() throws Exception {
        assertEquals(0, run("--state-dir", state.toString(), "export", "imagenet/job-1/epoch-1", "--csv"),
                err.toString());
        List<String> lines = out.toString().lines().toList();
        assertEquals("time,time_ns,client_id,client_address,object_key,etag,file_id,byte_offset,byte_length,"
                + "outcome,s3_wait_ns,dataset,job,epoch,sample,rank", lines.get(0));
        assertEquals("2026-01-01T00:00:00.006000000Z,1767225600006000000,2748,10.0.0.2:900,\"train/a,b.tar\","
                + "\"\"\"etag\"\"\",77,300,100,S3_WAIT,2000000,imagenet,job-1,1,-1,-1", lines.get(1));
        assertEquals(3, lines.size());

        Path csv = state.resolve("out.csv");
        out.getBuffer().setLength(0);
        assertEquals(0, run("--state-dir", state.toString(), "export", "imagenet/job-1/1", "--csv", "-o",
                csv.toString()));
        assertEquals("wrote 2 reads to " + csv, out.toString().strip());
        assertEquals(3, Files.readAllLines(csv, StandardCharsets.UTF_8).size());
    }

    @Test
    void export_withoutFormat_isAUsageError() {
        assertEquals(2, run("--state-dir", state.toString(), "export", "imagenet/job-1/1"));
        assertTrue(err.toString().contains("--csv"), err.toString());
    }

    @Test
    void unknownEpoch_failsWithOneLine() {
        assertEquals(1, run("--state-dir", state.toString(), "show", "imagenet/job-1/9"));
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("prefetchd trace: imagenet/job-1/9: no such epoch"), err.toString());
    }

    @Test
    void negativeHead_isAUsageError() {
        assertEquals(2, run("--state-dir", state.toString(), "show", "imagenet/job-1/0", "--head", "-1"));
    }

    @Test
    void noSubcommand_isAUsageError() {
        assertEquals(2, run());
        assertTrue(err.toString().contains("a subcommand is required"), err.toString());
    }
}
