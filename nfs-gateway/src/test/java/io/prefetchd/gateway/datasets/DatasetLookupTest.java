package io.prefetchd.gateway.datasets;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** An object key is named by the served dataset that holds it, the innermost one when datasets nest. */
class DatasetLookupTest {
    @TempDir
    static Path state;
    private static DatasetRegistry registry;
    private static ServedDataset images;
    private static ServedDataset shards;
    private static ServedDataset everything;

    @BeforeAll
    static void open() {
        registry = new DatasetRegistry(DemoBucket.create("pre/"), "pre/", state.resolve("indexes"), 2,
                new SimpleMeterRegistry(), Clock.systemUTC());
        images = registry.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of());
        shards = registry.register("webdataset/train-00000{0..1}.tar", DatasetKind.WEBDATASET, List.of());
        everything = registry.register("imagefolder", DatasetKind.FILES, List.of());
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    @Test
    void of_keyUnderTheDatasetsFolder_isThatDataset() {
        DatasetLookup lookup = new DatasetLookup();
        lookup.add(images);
        assertEquals(Optional.of(images), lookup.of("pre/imagefolder/train/cat/0001.jpg"));
        assertEquals(Optional.empty(), lookup.of("pre/imagefolder/trainer/x.jpg"), "a sibling with a longer name");
        assertEquals(Optional.empty(), lookup.of("pre/webdataset/train-000000.tar"));
    }

    @Test
    void of_nestedDatasets_innermostWins() {
        DatasetLookup lookup = new DatasetLookup();
        lookup.add(everything);
        lookup.add(images);
        assertEquals(Optional.of(images), lookup.of("pre/imagefolder/train/dog/0002.jpg"));
        assertEquals(Optional.of(everything), lookup.of("pre/imagefolder/other.txt"));
    }

    @Test
    void of_bracePattern_onlyItsIndexedObjects() {
        DatasetLookup lookup = new DatasetLookup();
        lookup.add(shards);
        assertEquals(Optional.of(shards), lookup.of("pre/webdataset/train-000001.tar"));
        assertEquals(Optional.empty(), lookup.of("pre/webdataset/train-000003.tar"), "outside the pattern");
    }

    @Test
    void add_sameIdAgain_replacesIt() {
        DatasetLookup lookup = new DatasetLookup();
        lookup.add(images);
        ServedDataset reindexed = new ServedDataset(images.id(), images.exportPath(), images.spec(), images.index());
        lookup.add(reindexed);
        assertSame(reindexed, lookup.of("pre/imagefolder/train/cat/0001.jpg").orElseThrow());
    }

    @Test
    void find_namesTheSampleHoldingAByte_bySampleIndex() {
        DatasetLookup lookup = new DatasetLookup();
        lookup.add(shards);
        long lastSample = shards.sampleCount() - 1;
        var first = shards.index().extents(0).get(0);
        var last = shards.index().extents(lastSample).get(0);
        DatasetLookup.Hit hit = lookup.find(first.object()).orElseThrow();
        assertSame(shards, hit.dataset());
        assertEquals(0, hit.sampleAt(first.object(), etag(first.object()), first.offset()));
        long size = shards.index().objects().stream().filter(o -> o.key().equals(first.object())).findFirst()
                .orElseThrow().size();
        assertEquals(-1, hit.sampleAt(first.object(), etag(first.object()), size - 1), "the end-of-archive blocks");
        assertEquals(-1, hit.sampleAt(first.object(), "another-version", first.offset()));
        assertEquals(lastSample, hit.sampleAt(last.object(), etag(last.object()), last.offset() + last.length() - 1));
    }

    private static String etag(String key) {
        return shards.index().objects().stream().filter(o -> o.key().equals(key)).findFirst().orElseThrow().etag();
    }

    @Test
    void displayName_isPathAndFormat() {
        assertEquals("imagefolder/train (imagefolder)", images.displayName());
        assertEquals("imagefolder (files)", everything.displayName());
        assertEquals("webdataset", shards.formatName());
    }
}
