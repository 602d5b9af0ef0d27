package io.prefetchd.formats.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prefetchd.formats.RangeSource;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexCommandTest {
    @TempDir
    Path tmp;

    record Result(int status, String out, String err) {
    }

    private Result run(IndexCommand command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = IndexCommand.run(command, args, new PrintWriter(out), new PrintWriter(err));
        return new Result(rc, out.toString(), err.toString());
    }

    private Result run(String... args) {
        return run(new IndexCommand(null, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC)), args);
    }

    /** A minimal ustar file entry plus padding. */
    private static byte[] tar(String... namesAndSizes) throws Exception {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (String n : namesAndSizes) {
            byte[] h = new byte[512];
            byte[] name = n.getBytes(UTF_8);
            System.arraycopy(name, 0, h, 0, name.length);
            int size = 100 + n.length();
            System.arraycopy(String.format("%011o\0", size).getBytes(UTF_8), 0, h, 124, 12);
            System.arraycopy("0000644\0".getBytes(UTF_8), 0, h, 100, 8);
            h[156] = '0';
            System.arraycopy("ustar\00000".getBytes(UTF_8), 0, h, 257, 8);
            for (int i = 148; i < 156; i++) {
                h[i] = ' ';
            }
            long sum = 0;
            for (byte x : h) {
                sum += x & 0xff;
            }
            System.arraycopy(String.format("%06o\0 ", sum).getBytes(UTF_8), 0, h, 148, 8);
            b.write(h);
            b.write(new byte[(size + 511) / 512 * 512]);
        }
        b.write(new byte[1024]);
        return b.toByteArray();
    }

    @Test
    void webDatasetFolder_printsTheSummary() throws Exception {
        Files.write(tmp.resolve("a.tar"), tar("k1.jpg", "k1.cls", "k2.jpg"));
        Files.write(tmp.resolve("b.tar"), tar("k3.jpg"));

        Result r = run(tmp.toString(), "--format", "webdataset");

        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("objects     2 indexed, 0 left out"), r.out());
        assertTrue(r.out().contains("samples     3"), r.out());
        assertTrue(r.out().contains("sample size min 618 B"), r.out());
        assertTrue(r.out().contains("metadata    3.0 KiB read in 2 requests"), r.out());
        assertTrue(r.out().contains("time        0.000 s"), r.out());
    }

    @Test
    void json_listsEverySamplesExtents() throws Exception {
        Files.write(tmp.resolve("a.tar"), tar("k1.jpg", "k1.cls", "k2.jpg"));

        Result r = run(tmp.resolve("a.tar").toString(), "--format", "webdataset", "--json");

        assertEquals(0, r.status(), r.err());
        Matcher m = Pattern.compile("\\{\"sample\":(\\d+),\"key\":\"([^\"]+)\",\"extents\":\\[\\{\"object\":\"a.tar\","
                + "\"offset\":(\\d+),\"length\":(\\d+)}]}").matcher(r.out());
        List<String> samples = new ArrayList<>();
        while (m.find()) {
            samples.add(m.group(1) + " " + m.group(2) + " " + m.group(3) + " " + m.group(4));
        }
        assertEquals(List.of("0 k1 0 1642", "1 k2 2048 618"), samples);
        assertTrue(r.err().contains("samples     2"), "summary goes to stderr with --json: " + r.err());
    }

    @Test
    void bracePattern_withAMissingShard_indexesTheRestAndExitsPartial() throws Exception {
        Files.write(tmp.resolve("train-0.tar"), tar("a.jpg"));
        Files.write(tmp.resolve("train-2.tar"), tar("b.jpg"));

        Result r = run(tmp + "/train-{0..2}.tar", "--format", "webdataset");

        assertEquals(IndexCommand.PARTIAL, r.status());
        assertTrue(r.out().contains("samples     2"), r.out());
        assertTrue(r.err().contains("left out train-1.tar: no such shard"), r.err());
    }

    @Test
    void truncatedShard_isNamedWithItsOffset() throws Exception {
        byte[] t = tar("a.jpg", "b.jpg");
        Files.write(tmp.resolve("t.tar"), java.util.Arrays.copyOf(t, 1024 + 300));

        Result r = run(tmp.toString(), "--format", "webdataset");

        assertEquals(1, r.status());
        assertTrue(r.err().contains("left out t.tar at byte 1024: truncated tar"), r.err());
    }

    @Test
    void files_imageFolderLayout_isAccepted() throws Exception {
        Files.createDirectories(tmp.resolve("cat"));
        Files.writeString(tmp.resolve("cat/1.jpg"), "x");
        Files.writeString(tmp.resolve("top.txt"), "y");

        Result r = run(tmp.toString(), "--format", "files", "--layout", "imagefolder");

        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("samples     1"), r.out());
    }

    @Test
    void s3Source_usesTheRegisteredFactoryWithTheBucketRelativeLocation() throws Exception {
        Files.createDirectories(tmp.resolve("prefix"));
        Files.write(tmp.resolve("prefix/a.tar"), tar("k.jpg"));
        List<URI> asked = new ArrayList<>();
        IndexCommand c = new IndexCommand(uri -> {
            asked.add(uri);
            return RangeSource.localFolder(tmp);
        }, Clock.systemUTC());

        Result r = run(c, "s3://bucket/prefix", "--format", "webdataset");

        assertEquals(0, r.status(), r.err());
        assertEquals(List.of(URI.create("s3://bucket/prefix")), asked);
        assertTrue(r.out().contains("samples     1"), r.out());
    }

    @Test
    void s3Source_withoutAFactory_isAUsageError() {
        Result r = run("s3://bucket/x", "--format", "webdataset");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("s3:// sources are indexed through the gateway"), r.err());
    }

    @Test
    void unknownFormat_isAUsageError() {
        Result r = run(tmp.toString(), "--format", "orc");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("expected parquet, webdataset or files"), r.err());
    }

    @Test
    void stateDir_secondRunReusesEveryShard() throws Exception {
        Files.createDirectories(tmp.resolve("d"));
        Files.write(tmp.resolve("d/a.tar"), tar("k.jpg"));
        String state = tmp.resolve("state").toString();
        run(tmp.resolve("d").toString(), "--format", "webdataset", "--state-dir", state);

        Result r = run(tmp.resolve("d").toString(), "--format", "webdataset", "--state-dir", state);

        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("(0 scanned, 1 reused)"), r.out());
        assertTrue(r.out().contains("note        loaded the persisted index"), r.out());
    }
}
