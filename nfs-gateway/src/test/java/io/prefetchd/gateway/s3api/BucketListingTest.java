package io.prefetchd.gateway.s3api;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import io.prefetchd.gateway.s3.ListPage;
import io.prefetchd.gateway.s3.ObjectMeta;
import io.prefetchd.gateway.testing.ManualClock;
import io.prefetchd.gateway.testing.PassThroughCache;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ListObjects over the file system's tree answers what ListObjectsV2 over the same keys answers (the in-memory
 * store's listing is the reference): same keys and common prefixes, in the same order, page by page.
 */
class BucketListingTest {
    private static final String[] PARTS = {"a", "b", "a-b", "a.b", "é", "\uD83D\uDE00", "z", "0", "x-1"};

    private final ManualClock clock = new ManualClock();
    private final InMemoryObjectStore store = new InMemoryObjectStore("bucket", clock);
    private BucketListing listing;
    private S3FileSystem fs;

    private void serve(List<String> keys) {
        for (String k : keys) {
            store.put(k, k.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        fs = new S3FileSystem(store, "", new PassThroughCache(store), i -> i.path().hashCode(),
                new MetadataSettings(Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMinutes(5)), clock,
                Runnable::run, new SimpleMeterRegistry());
        listing = new BucketListing(fs);
    }

    /** Keys of a random tree: no key is also a folder of another (the namespace would hide one of them). */
    private static List<String> randomTree(Random r, int n) {
        TreeSet<String> keys = new TreeSet<>();
        while (keys.size() < n) {
            int depth = 1 + r.nextInt(4);
            StringBuilder k = new StringBuilder();
            for (int d = 0; d < depth; d++) {
                if (d > 0) {
                    k.append('/');
                }
                k.append(PARTS[r.nextInt(PARTS.length)]);
                if (r.nextBoolean()) {
                    k.append(PARTS[r.nextInt(PARTS.length)]);
                }
            }
            String key = k.toString();
            boolean clash = keys.stream().anyMatch(o -> o.startsWith(key + "/") || key.startsWith(o + "/"));
            if (!clash) {
                keys.add(key);
            }
        }
        return new ArrayList<>(keys);
    }

    /** Every page of the listing, as "key" and "prefix/" items in order. */
    private List<String> pagesOfGateway(String prefix, String delimiter, int maxKeys) throws FsException {
        List<String> all = new ArrayList<>();
        BucketListing.Marker after = null;
        do {
            BucketListing.Page p = listing.list(prefix, delimiter, after, maxKeys);
            assertTrue(p.objects().size() + p.commonPrefixes().size() <= maxKeys, "page within max-keys");
            List<String> page = new ArrayList<>();
            p.objects().forEach(o -> page.add("K" + o.key()));
            p.commonPrefixes().forEach(c -> page.add("P" + c));
            page.sort((x, y) -> BucketListing.compareKeys(x.substring(1), y.substring(1)));
            all.addAll(page);
            after = p.truncated() ? p.next() : null;
            if (p.truncated()) {
                assertEquals(maxKeys, page.size(), "a truncated page is full");
            }
        } while (after != null);
        return all;
    }

    private List<String> pagesOfStore(String prefix, String delimiter, int maxKeys) {
        List<String> all = new ArrayList<>();
        String token = null;
        do {
            ListPage p = store.list(prefix, delimiter, token, maxKeys);
            List<String> page = new ArrayList<>();
            for (ObjectMeta m : p.objects()) {
                page.add("K" + m.key());
            }
            p.commonPrefixes().forEach(c -> page.add("P" + c));
            page.sort((x, y) -> BucketListing.compareKeys(x.substring(1), y.substring(1)));
            all.addAll(page);
            token = p.nextToken();
        } while (token != null);
        return all;
    }

    @Test
    void randomTrees_everyPrefixDelimiterAndPageSize_sameAsListObjectsV2() throws FsException {
        Random r = new Random(42);
        for (int tree = 0; tree < 8; tree++) {
            store.resetCounters();
            List<String> keys = randomTree(r, 40);
            serve(keys);
            List<String> prefixes = new ArrayList<>(List.of("", "a", "a/", "é/", "zz", "x-"));
            for (int i = 0; i < 6; i++) {
                String k = keys.get(r.nextInt(keys.size()));
                prefixes.add(k.substring(0, r.nextInt(k.length() + 1)));
            }
            for (String prefix : prefixes) {
                for (String delimiter : new String[] {"", "/", "-"}) {
                    for (int maxKeys : new int[] {1, 3, 1000}) {
                        assertEquals(pagesOfStore(prefix, delimiter, maxKeys),
                                pagesOfGateway(prefix, delimiter, maxKeys),
                                "prefix '" + prefix + "' delimiter '" + delimiter + "' max-keys " + maxKeys
                                        + " over " + keys);
                    }
                }
            }
            keys.forEach(store::delete);
        }
    }

    @Test
    void sortedListings_areHeldWithinTheirHeapBudget_andPagesStayRight() throws FsException {
        List<String> keys = new ArrayList<>();
        for (int d = 0; d < 20; d++) {
            for (int f = 0; f < 50; f++) {
                keys.add(String.format(java.util.Locale.ROOT, "d%02d/f%02d", d, f));
            }
        }
        serve(keys);
        long budget = 64 << 10;   // about three of these directories
        listing = new BucketListing(fs, budget);

        List<String> listed = new ArrayList<>();
        BucketListing.Marker after = null;
        BucketListing.Page p;
        do {
            p = listing.list("", "", after, 70);
            p.objects().forEach(i -> listed.add(i.key()));
            after = p.next();
        } while (p.truncated());

        assertEquals(keys, listed);
        assertTrue(listing.heldBytes() <= budget, listing.heldBytes() + " bytes of sorted listings held");
        assertTrue(listing.heldBytes() > 0);
    }

    @Test
    void keyOrder_isUtf8ByteOrder() {
        assertTrue(BucketListing.compareKeys("a", "a/") < 0);
        assertTrue(BucketListing.compareKeys("a.txt", "a/") < 0, "'.' sorts before '/'");
        assertTrue(BucketListing.compareKeys("\uFFFD", "\uD83D\uDE00") < 0, "U+FFFD before U+1F600, as in UTF-8");
        assertTrue(BucketListing.compareKeys("é", "z") > 0);
    }

    @Test
    void startAfter_skipsKeysUpToIt() throws FsException {
        serve(List.of("d/1", "d/2", "d/3", "e"));
        BucketListing.Page p = listing.list("", "", new BucketListing.Marker("d/2", false), 1000);
        assertEquals(List.of("d/3", "e"), p.objects().stream().map(BucketListing.Item::key).toList());
    }

    @Test
    void markerIsACommonPrefix_pageContinuesAfterIt() throws FsException {
        serve(List.of("c", "d/1", "d/2", "e"));
        BucketListing.Page p = listing.list("", "/", new BucketListing.Marker("d/", false), 1000);
        assertEquals(List.of("e"), p.objects().stream().map(BucketListing.Item::key).toList());
        assertTrue(p.commonPrefixes().isEmpty(), "d/ was the marker: not listed again");
    }

    @Test
    void token_roundTrips_andRejectsGarbage() {
        BucketListing.Marker m = new BucketListing.Marker("a/é", true);
        assertEquals(m, BucketListing.Marker.ofToken(m.token()));
        assertThrows(IllegalArgumentException.class, () -> BucketListing.Marker.ofToken("!!"));
        assertThrows(IllegalArgumentException.class, () -> BucketListing.Marker.ofToken("eA"));
    }

    @Test
    void missingFolder_listsNothing() throws FsException {
        serve(List.of("a/1"));
        BucketListing.Page p = listing.list("nope/x", "/", null, 1000);
        assertTrue(p.objects().isEmpty() && p.commonPrefixes().isEmpty());
        assertFalse(p.truncated());
    }
}
