package io.prefetchd.gateway.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prefetchd.gateway.s3.ObjectStoreException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link ObjectStore} must have, written once and run against each backend
 * ({@link InMemoryObjectStoreTest}, {@link S3ObjectStoreIT}). Each test gets an empty bucket.
 */
abstract class ObjectStoreContract {

    /** The store under test, over an empty bucket. */
    protected abstract ObjectStore store();

    /** Writes an object behind the store's back; returns its ETag without quotes. */
    protected abstract String put(String key, byte[] bytes);

    protected abstract void delete(String key);

    private static final List<String> TREE = List.of(
            "data/a.bin",
            "data/b/1.bin",
            "data/b/2.bin",
            "data/c/x/y.bin",
            "data/d.bin",
            "data0.bin",
            "other/z.bin");

    private void putTree() {
        for (String key : TREE) {
            put(key, key.getBytes(UTF_8));
        }
    }

    @Test
    void head_missingKey_isEmpty() {
        assertEquals(Optional.empty(), store().head("no/such/key"));
    }

    @Test
    void head_existingKey_returnsSizeAndUnquotedEtag() {
        String etag = put("dir/file.bin", new byte[1234]);

        ObjectMeta meta = store().head("dir/file.bin").orElseThrow();

        assertEquals("dir/file.bin", meta.key());
        assertEquals(1234, meta.size());
        assertEquals(etag, meta.etag());
        assertFalse(meta.etag().contains("\""), meta.etag());
        assertNotNull(meta.lastModified());
    }

    @Test
    void head_afterDelete_isEmpty() {
        put("gone", new byte[1]);
        delete("gone");

        assertEquals(Optional.empty(), store().head("gone"));
    }

    @Test
    void list_withDelimiter_returnsOneLevelOfObjectsAndCommonPrefixes() {
        putTree();

        ListPage page = store().list("data/", "/", null, 1000);

        assertEquals(List.of("data/a.bin", "data/d.bin"), keys(page.objects()));
        assertEquals(List.of("data/b/", "data/c/"), page.commonPrefixes());
        assertNull(page.nextToken());
        assertEquals(TREE.get(0).length(), page.objects().get(0).size());
    }

    @Test
    void list_rootWithDelimiter_rollsUpTopLevelDirectories() {
        putTree();

        ListPage page = store().list("", "/", null, 1000);

        assertEquals(List.of("data0.bin"), keys(page.objects()));
        assertEquals(List.of("data/", "other/"), page.commonPrefixes());
    }

    @Test
    void list_withoutDelimiter_returnsEveryKeyUnderPrefixInOrder() {
        putTree();

        ListPage page = store().list("data/", null, null, 1000);

        assertEquals(TREE.subList(0, 5), keys(page.objects()));
        assertEquals(List.of(), page.commonPrefixes());
    }

    @Test
    void list_emptyPrefixMatch_returnsEmptyLastPage() {
        putTree();

        ListPage page = store().list("nothing-here/", "/", null, 10);

        assertEquals(List.of(), page.objects());
        assertEquals(List.of(), page.commonPrefixes());
        assertTrue(page.isLast());
    }

    @Test
    void list_delimiterWithSmallPages_returnsEverythingOnceInOrder() {
        putTree();

        List<String> items = listAll("data/", "/", 1);

        assertEquals(List.of("data/a.bin", "data/b/", "data/c/", "data/d.bin"), items);
    }

    @Test
    void list_flatWithSmallPages_returnsEveryKeyOnceInOrder() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            String key = String.format("shards/%03d/part.tar", i);
            put(key, new byte[] {(byte) i});
            expected.add(key);
        }
        put("shardsX", new byte[1]); // shares the prefix text, must not appear

        assertEquals(expected, listAll("shards/", null, 5));
        assertEquals(expected, listAll("shards/", "", 7));
    }

    @Test
    void list_nestedPrefixesWithSmallPages_neverRepeatsAPrefix() {
        for (int dir = 0; dir < 4; dir++) {
            for (int file = 0; file < 5; file++) {
                put("root/d" + dir + "/f" + file, new byte[1]);
            }
        }
        put("root/top", new byte[1]);

        assertEquals(List.of("root/d0/", "root/d1/", "root/d2/", "root/d3/", "root/top"),
                listAll("root/", "/", 2));
    }

    @Test
    void list_ordersKeysByUtf8BytesNotUtf16() {
        // U+FFFD sorts before U+1F600 in UTF-8 (and code points), after it in UTF-16 code units
        put("k\uD83D\uDE00", new byte[1]);
        put("k\uFFFD", new byte[1]);

        List<String> keys = store().list("k", null, null, 10).objects().stream().map(ObjectMeta::key).toList();

        assertEquals(List.of("k\uFFFD", "k\uD83D\uDE00"), keys);
    }

    @Test
    void list_keysWithSpacesPlusPercentAndNonAscii_comeBackVerbatim() throws Exception {
        List<String> keys = List.of("odd/a b+c%2F&d=e.bin", "odd/caf\u00e9/\u6587\u4ef6.bin", "odd/tab\there~!.bin");
        for (String key : keys) {
            put(key, key.getBytes(UTF_8));
        }

        assertEquals(List.of("odd/a b+c%2F&d=e.bin", "odd/caf\u00e9/", "odd/tab\there~!.bin"), listAll("odd/", "/", 1000));
        assertEquals(List.of("odd/caf\u00e9/\u6587\u4ef6.bin"),
                keys(store().list("odd/caf\u00e9/", "/", null, 10).objects()));
        for (String key : keys) {
            ObjectMeta meta = store().head(key).orElseThrow();
            assertArrayEquals(key.getBytes(UTF_8), get(key, meta.etag(), 0, (int) meta.size()));
        }
    }

    @Test
    void getRange_readsExactBytesIncludingLastPartialRange() throws Exception {
        byte[] data = randomBytes(10_000, 1);
        String etag = put("blob", data);

        byte[] first = get("blob", etag, 0, 4096);
        byte[] middle = get("blob", etag, 4096, 4096);
        byte[] last = get("blob", etag, 8192, 4096);

        assertArrayEquals(Arrays.copyOfRange(data, 0, 4096), first);
        assertArrayEquals(Arrays.copyOfRange(data, 4096, 8192), middle);
        assertArrayEquals(Arrays.copyOfRange(data, 8192, 10_000), last);
        assertArrayEquals(Arrays.copyOfRange(data, 9_999, 10_000), get("blob", etag, 9_999, 1));
        assertArrayEquals(Arrays.copyOfRange(data, 123, 7_777), get("blob", etag, 123, 7_777 - 123));
    }

    @Test
    void getRange_startingAtOrAfterEnd_returnsEmpty() throws Exception {
        String etag = put("short", new byte[100]);

        assertEquals(0, get("short", etag, 100, 10).length);
        assertEquals(0, get("short", etag, 5_000, 10).length);
    }

    @Test
    void getRange_zeroLength_returnsEmpty() throws Exception {
        String etag = put("any", new byte[100]);

        assertEquals(0, get("any", etag, 10, 0).length);
    }

    @Test
    void getRange_staleEtag_completesWithChanged() {
        String oldEtag = put("versioned", "first version".getBytes(UTF_8));
        String newEtag = put("versioned", "second version!".getBytes(UTF_8));
        assertFalse(oldEtag.equals(newEtag));

        ObjectStoreException e = failure(store().getRange("versioned", oldEtag, 0, 5));

        assertEquals(Kind.CHANGED, e.kind());
        assertEquals("versioned", e.key());
        assertTrue(e.getMessage().contains(store().bucket()), e.getMessage());
    }

    @Test
    void getRange_missingKey_completesWithNotFound() {
        ObjectStoreException e = failure(store().getRange("missing", "0123456789abcdef0123456789abcdef", 0, 5));

        assertEquals(Kind.NOT_FOUND, e.kind());
        assertEquals("missing", e.key());
    }

    @Test
    void getRange_deletedObject_completesWithNotFound() {
        String etag = put("soon-gone", new byte[10]);
        delete("soon-gone");

        assertEquals(Kind.NOT_FOUND, failure(store().getRange("soon-gone", etag, 0, 5)).kind());
    }

    @Test
    void getRange_keyWithCharactersThatNeedEncoding_readsItsBytes() throws Exception {
        String key = "odd keys/a b+c%d&e=f;g@h~\u00e9\u4e2d.bin";
        byte[] bytes = new byte[300];
        new Random(7).nextBytes(bytes);
        String etag = put(key, bytes);

        assertArrayEquals(Arrays.copyOfRange(bytes, 100, 250), get(key, etag, 100, 150));
    }

    // ---------------------------------------------------------------- writes

    /** Bytes of a file that the backend uploads in several parts (S3ObjectStoreIT sets small part sizes). */
    static final int MULTIPART_BYTES = 12 * 1024 * 1024 + 123;

    @TempDir
    Path tmp;

    @Test
    void upload_smallFile_objectHasItsBytesEtagAndMetadata() throws Exception {
        byte[] data = randomBytes(100_000, 2);

        ObjectMeta meta = upload("ckpt/small.bin", file(data), Map.of("uid", "1000", "mode", "100644"));

        assertEquals("ckpt/small.bin", meta.key());
        assertEquals(data.length, meta.size());
        assertEquals(meta.etag(), store().head("ckpt/small.bin").orElseThrow().etag());
        assertEquals(md5(data), md5(get("ckpt/small.bin", meta.etag(), 0, data.length)));
        assertEquals(Optional.of(Map.of("uid", "1000", "mode", "100644")), store().userMetadata("ckpt/small.bin"));
    }

    @Test
    void upload_emptyFile_createsEmptyObject() throws Exception {
        ObjectMeta meta = upload("empty", file(new byte[0]), Map.of());

        assertEquals(0, meta.size());
        assertEquals(0, store().head("empty").orElseThrow().size());
    }

    @Test
    void upload_largeFile_bytesAndMd5AreExact() throws Exception {
        byte[] data = randomBytes(MULTIPART_BYTES, 3);

        ObjectMeta meta = upload("ckpt/large.bin", file(data), Map.of("uid", "7"));

        assertEquals(data.length, meta.size());
        assertEquals(meta.etag(), store().head("ckpt/large.bin").orElseThrow().etag());
        byte[] back = get("ckpt/large.bin", meta.etag(), 0, data.length);
        assertEquals(md5(data), md5(back));
        assertEquals(Optional.of(Map.of("uid", "7")), store().userMetadata("ckpt/large.bin"));
    }

    @Test
    void upload_existingKey_replacesObject() throws Exception {
        put("model.pt", "old".getBytes(UTF_8));

        ObjectMeta meta = upload("model.pt", file("new bytes".getBytes(UTF_8)), Map.of());

        assertArrayEquals("new bytes".getBytes(UTF_8), get("model.pt", meta.etag(), 0, 100));
    }

    @Test
    void upload_ifNoneMatchOnExistingKey_failsChangedAndKeepsObject() throws Exception {
        String etag = put("taken", "first".getBytes(UTF_8));

        ObjectStoreException e = failure(store().upload("taken", file("second".getBytes(UTF_8)), Map.of(), true, null));

        assertEquals(Kind.CHANGED, e.kind());
        assertEquals(etag, store().head("taken").orElseThrow().etag());
    }

    @Test
    void upload_ifNoneMatchOnNewKey_creates() throws Exception {
        ObjectMeta meta = store().upload("fresh", file("x".getBytes(UTF_8)), Map.of(), true, null)
                .get(60, TimeUnit.SECONDS);

        assertEquals(meta.etag(), store().head("fresh").orElseThrow().etag());
    }

    @Test
    void upload_largeFileIfNoneMatchOnExistingKey_failsChanged() throws Exception {
        String etag = put("taken-large", "first".getBytes(UTF_8));

        ObjectStoreException e = failure(store().upload("taken-large", file(randomBytes(MULTIPART_BYTES, 4)), Map.of(),
                true, null));

        assertEquals(Kind.CHANGED, e.kind());
        assertEquals(etag, store().head("taken-large").orElseThrow().etag());
    }

    @Test
    void upload_ifMatchCurrentEtag_replaces() throws Exception {
        String etag = put("versioned-w", "first".getBytes(UTF_8));

        ObjectMeta meta = store().upload("versioned-w", file("second".getBytes(UTF_8)), Map.of(), false, etag)
                .get(60, TimeUnit.SECONDS);

        assertArrayEquals("second".getBytes(UTF_8), get("versioned-w", meta.etag(), 0, 100));
    }

    @Test
    void upload_ifMatchStaleEtag_failsChanged() throws Exception {
        String stale = put("versioned-s", "first".getBytes(UTF_8));
        String current = put("versioned-s", "someone else's".getBytes(UTF_8));

        ObjectStoreException e = failure(store().upload("versioned-s", file("mine".getBytes(UTF_8)), Map.of(), false, stale));

        assertEquals(Kind.CHANGED, e.kind());
        assertEquals(current, store().head("versioned-s").orElseThrow().etag());
    }

    @Test
    void upload_ifMatchOnDeletedKey_failsChanged() throws Exception {
        String etag = put("deleted-w", "first".getBytes(UTF_8));
        delete("deleted-w");

        ObjectStoreException e = failure(store().upload("deleted-w", file("mine".getBytes(UTF_8)), Map.of(), false, etag));

        assertEquals(Kind.CHANGED, e.kind());
        assertEquals(Optional.empty(), store().head("deleted-w"));
    }

    @Test
    void upload_missingFile_failsIo() {
        ObjectStoreException e = failure(store().upload("k", tmp.resolve("no-such-file"), Map.of(), false, null));

        assertEquals(Kind.IO, e.kind());
        assertEquals(Optional.empty(), store().head("k"));
    }

    @Test
    void userMetadata_missingKey_isEmpty() {
        assertEquals(Optional.empty(), store().userMetadata("absent"));
    }

    @Test
    void userMetadata_objectWrittenWithout_isEmptyMap() {
        put("plain", new byte[1]);

        assertEquals(Optional.of(Map.of()), store().userMetadata("plain"));
    }

    @Test
    void copy_keepsBytesAndMetadataAndLeavesSource() throws Exception {
        byte[] data = randomBytes(50_000, 5);
        ObjectMeta source = upload("tmp/ckpt.pt", file(data), Map.of("uid", "42"));

        ObjectMeta copied = store().copy("tmp/ckpt.pt", source.etag(), "final/ckpt.pt");

        assertEquals("final/ckpt.pt", copied.key());
        assertEquals(data.length, copied.size());
        assertEquals(copied.etag(), store().head("final/ckpt.pt").orElseThrow().etag());
        assertArrayEquals(data, get("final/ckpt.pt", copied.etag(), 0, data.length));
        assertEquals(Optional.of(Map.of("uid", "42")), store().userMetadata("final/ckpt.pt"));
        assertEquals(source.etag(), store().head("tmp/ckpt.pt").orElseThrow().etag());
    }

    @Test
    void copy_largeObject_bytesAndMetadataAreExact() throws Exception {
        byte[] data = randomBytes(MULTIPART_BYTES, 6);
        ObjectMeta source = upload("big/src", file(data), Map.of("gid", "9"));

        ObjectMeta copied = store().copy("big/src", source.etag(), "big/dst");

        assertEquals(data.length, copied.size());
        assertEquals(md5(data), md5(get("big/dst", copied.etag(), 0, data.length)));
        assertEquals(Optional.of(Map.of("gid", "9")), store().userMetadata("big/dst"));
    }

    @Test
    void copy_staleEtag_failsChangedAndWritesNothing() {
        String stale = put("moving", "first".getBytes(UTF_8));
        put("moving", "second".getBytes(UTF_8));

        ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> store().copy("moving", stale, "moved"));

        assertEquals(Kind.CHANGED, e.kind());
        assertEquals(Optional.empty(), store().head("moved"));
    }

    @Test
    void copy_missingSource_failsNotFound() {
        ObjectStoreException e = assertThrows(ObjectStoreException.class,
                () -> store().copy("nothing-here", "0123456789abcdef0123456789abcdef", "moved"));

        assertEquals(Kind.NOT_FOUND, e.kind());
    }

    @Test
    void delete_removesObject() {
        put("doomed", new byte[3]);

        store().delete("doomed");

        assertEquals(Optional.empty(), store().head("doomed"));
    }

    @Test
    void deleteIfMatch_ofThatVersion_deletesIt() {
        String etag = put("mine", "v1".getBytes(UTF_8));

        assertTrue(store().delete("mine", etag));

        assertEquals(Optional.empty(), store().head("mine"));
    }

    @Test
    void deleteIfMatch_ofAVersionReplacedSince_keepsTheNewOne() {
        String old = put("theirs", "v1".getBytes(UTF_8));
        String now = put("theirs", "version two".getBytes(UTF_8));

        assertFalse(store().delete("theirs", old));

        assertEquals(now, store().head("theirs").orElseThrow().etag());
    }

    @Test
    void deleteIfMatch_ofAMissingKey_deletesNothing() {
        assertFalse(store().delete("never-was", "0123456789abcdef0123456789abcdef"));
    }

    @Test
    void delete_missingKey_succeeds() {
        store().delete("never-was");

        assertEquals(Optional.empty(), store().head("never-was"));
    }

    private ObjectMeta upload(String key, Path file, Map<String, String> metadata) throws Exception {
        return store().upload(key, file, metadata, false, null).get(60, TimeUnit.SECONDS);
    }

    private Path file(byte[] data) throws IOException {
        Path f = Files.createTempFile(tmp, "upload", ".bin");
        Files.write(f, data);
        return f;
    }

    static String md5(byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    }

    private List<String> listAll(String prefix, String delimiter, int maxKeys) {
        List<String> all = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            ListPage page = store().list(prefix, delimiter, token, maxKeys);
            List<String> items = new ArrayList<>(keys(page.objects()));
            items.addAll(page.commonPrefixes());
            items.sort(InMemoryObjectStore::compareUtf8);
            assertTrue(items.size() <= maxKeys, "page larger than maxKeys: " + items);
            all.addAll(items);
            token = page.nextToken();
            assertTrue(++pages < 1000, "listing does not end");
        } while (token != null);
        return all;
    }

    private static List<String> keys(List<ObjectMeta> objects) {
        return objects.stream().map(ObjectMeta::key).toList();
    }

    private byte[] get(String key, String etag, long offset, int length) throws Exception {
        return store().getRange(key, etag, offset, length).get(60, TimeUnit.SECONDS);
    }

    static ObjectStoreException failure(CompletableFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(30, TimeUnit.SECONDS));
        return assertInstanceOf(ObjectStoreException.class, e.getCause());
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }
}
