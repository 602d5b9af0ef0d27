package io.prefetchd.gateway.embedded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoDatasetTest {

    private static final DemoDataset DEMO = new DemoDataset();
    /** GNU tar -tv line: mode owner/group size date time name */
    private static final Pattern TAR_LINE =
            Pattern.compile("-rw-r--r-- root/root\\s+(\\d+) 2024-01-01 00:00 (\\S+)");

    @Test
    void sameSeed_givesSameBytes() {
        DemoDataset again = new DemoDataset(DemoDataset.DEFAULT_SEED);
        assertEquals(DEMO.keys(), again.keys());
        for (String key : DEMO.keys()) {
            assertArrayEquals(DEMO.content(key), again.content(key), key);
        }
    }

    @Test
    void differentSeed_givesDifferentBytesUnderSameKeys() {
        DemoDataset other = new DemoDataset(7);
        assertEquals(DEMO.keys(), other.keys());
        for (String key : List.of("imagefolder/train/cat/0000.jpg", "webdataset/train-000000.tar", "big/blob.bin")) {
            assertFalse(Arrays.equals(DEMO.content(key), other.content(key)), key);
        }
    }

    @Test
    void defaultSeed_contentIsPinned() throws Exception {
        // guards against accidental changes to the generators: tests and docs rely on these bytes
        MessageDigest all = MessageDigest.getInstance("MD5");
        for (String key : DEMO.keys()) {
            all.update(key.getBytes(StandardCharsets.UTF_8));
            all.update(MessageDigest.getInstance("MD5").digest(DEMO.content(key)));
        }
        assertEquals(206, DEMO.keys().size());
        assertEquals(16_227_551L, DEMO.totalBytes());
        assertEquals("aa093a3b322c7f45be5c5c818d986e9b", HexFormat.of().formatHex(all.digest()));
    }

    @Test
    void layout_isImageFolderWebDatasetReadmeAndBigBlob() {
        assertEquals(4 * 50, DEMO.imageKeys().size());
        assertEquals("imagefolder/train/cat/0000.jpg", DEMO.imageKeys().get(0));
        assertEquals("imagefolder/train/ship/0049.jpg", DEMO.imageKeys().get(199));
        assertEquals(List.of("webdataset/train-000000.tar", "webdataset/train-000001.tar",
                "webdataset/train-000002.tar", "webdataset/train-000003.tar"), DEMO.shardKeys());
        assertEquals(8L * 1024 * 1024, DEMO.size(DemoDataset.bigBlobKey()));
        assertTrue(DEMO.keys().contains(DemoDataset.readmeKey()));
        assertEquals(DEMO.keys().stream().sorted().toList(), DEMO.keys());
    }

    @Test
    void images_areJpegLikeAndWithinSizeRange() {
        for (String key : DEMO.imageKeys()) {
            byte[] b = DEMO.content(key);
            assertTrue(b.length >= 8 * 1024 && b.length <= 40 * 1024, key + " has " + b.length + " bytes");
            assertEquals((byte) 0xFF, b[0], key);
            assertEquals((byte) 0xD8, b[1], key);
            assertEquals("JFIF", new String(b, 6, 4, StandardCharsets.US_ASCII), key);
            assertEquals((byte) 0xD9, b[b.length - 1], key);
        }
    }

    @Test
    void size_matchesGeneratedContent() {
        long total = 0;
        for (String key : DEMO.keys()) {
            assertEquals(DEMO.size(key), DEMO.content(key).length, key);
            total += DEMO.size(key);
        }
        assertEquals(total, DEMO.totalBytes());
    }

    @Test
    void readme_explainsHowToMount() {
        String readme = new String(DEMO.content(DemoDataset.readmeKey()), StandardCharsets.UTF_8);
        assertTrue(readme.contains("mount -t nfs4 -o vers=4.1"), readme);
        assertTrue(readme.contains("ImageFolder"), readme);
        assertTrue(readme.contains("seed 42"), readme);
    }

    @Test
    void content_unknownKey_isRejectedWithTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DEMO.content("nope.bin"));
        assertTrue(e.getMessage().contains("nope.bin"), e.getMessage());
    }

    @Test
    void shards_listWithGnuTarAsSampleJpgClsPairs(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar")),
                "GNU tar not installed");
        int sample = 0;
        for (String shardKey : DEMO.shardKeys()) {
            Path shard = dir.resolve(Path.of(shardKey).getFileName());
            Files.write(shard, DEMO.content(shardKey));
            TarRun list = tar(dir, "-tvf", shard.toString());
            assertEquals(0, list.exit(), shardKey + ": " + list.err());
            assertEquals("", list.err(), shardKey + ": tar complained");
            List<String> lines = list.out().lines().toList();
            assertEquals(2 * DemoDataset.SAMPLES_PER_SHARD, lines.size(), list.out());
            for (int i = 0; i < lines.size(); i += 2, sample++) {
                Matcher jpg = TAR_LINE.matcher(lines.get(i));
                Matcher cls = TAR_LINE.matcher(lines.get(i + 1));
                assertTrue(jpg.matches(), lines.get(i));
                assertTrue(cls.matches(), lines.get(i + 1));
                assertEquals(String.format("sample%06d.jpg", sample), jpg.group(2));
                assertEquals(String.format("sample%06d.cls", sample), cls.group(2));
                int size = Integer.parseInt(jpg.group(1));
                assertTrue(size >= 8 * 1024 && size <= 40 * 1024, lines.get(i));
                assertEquals("1", cls.group(1), lines.get(i + 1));
            }
        }
    }

    @Test
    void shards_extractWithGnuTarToJpegsAndClassIndices(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar")),
                "GNU tar not installed");
        Path shard = dir.resolve("shard.tar");
        Files.write(shard, DEMO.content(DEMO.shardKeys().get(3)));
        Path out = Files.createDirectory(dir.resolve("x"));
        TarRun extract = tar(out, "-xf", shard.toString());
        assertEquals(0, extract.exit(), extract.err());
        assertEquals("", extract.err());
        try (var files = Files.list(out)) {
            List<Path> members = files.sorted().toList();
            assertEquals(50, members.size());
            for (Path m : members) {
                byte[] b = Files.readAllBytes(m);
                if (m.toString().endsWith(".cls")) {
                    String cls = new String(b, StandardCharsets.US_ASCII);
                    assertTrue(cls.matches("[0-3]"), m + ": '" + cls + "'");
                } else {
                    assertEquals((byte) 0xFF, b[0], m.toString());
                    assertEquals((byte) 0xD9, b[b.length - 1], m.toString());
                }
            }
        }
    }

    private record TarRun(int exit, String out, String err) { }

    private static TarRun tar(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("tar"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("tar", ".out");
        Path err = Files.createTempFile("tar", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("TZ", "UTC");   // member times print as 2024-01-01 00:00
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("tar did not finish within 60 s: " + cmd);
            }
            return new TarRun(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
