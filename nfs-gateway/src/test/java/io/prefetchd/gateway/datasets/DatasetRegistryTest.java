package io.prefetchd.gateway.datasets;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.formats.FileLayout;
import io.prefetchd.formats.Format;
import io.prefetchd.gateway.embedded.DemoDataset;
import io.prefetchd.gateway.s3.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class DatasetRegistryTest {
    @TempDir
    Path state;

    private final InMemoryObjectStore store = DemoBucket.create("");
    private final List<DatasetRegistry> open = new ArrayList<>();
    private SimpleMeterRegistry meters;

    private DatasetRegistry registry(InMemoryObjectStore s, String prefix) {
        meters = new SimpleMeterRegistry();
        DatasetRegistry r = new DatasetRegistry(s, prefix, state.resolve("indexes"), 2, meters, Clock.systemUTC());
        open.add(r);
        return r;
    }

    private DatasetRegistry registry() {
        return registry(store, "");
    }

    private double scanned() {
        return meters.get("prefetchd.datasets.objects.scanned").counter().count();
    }

    @AfterEach
    void close() {
        open.forEach(DatasetRegistry::close);
    }

    @Test
    void start_removesWhatAnUnfinishedIndexSaveLeft_onceItIsAnHourOld() throws Exception {
        Path indexes = Files.createDirectories(state.resolve("indexes"));
        Path left = Files.write(indexes.resolve("files-0123456789abcdef.pfidx.keys42.col"), new byte[64]);
        Path recent = Files.write(indexes.resolve("files-0123456789abcdef.pfidx77.tmp"), new byte[8]);
        Files.setLastModifiedTime(left, FileTime.from(
                Instant.now().minus(DatasetRegistry.ABANDONED_AFTER).minusSeconds(60)));

        registry();

        assertFalse(Files.exists(left));
        assertTrue(Files.exists(recent), "maybe a save still running in another process");
    }

    @Test
    void register_webDataset_indexesEverySample() {
        ServedDataset d = registry().register("webdataset", DatasetKind.WEBDATASET, List.of());
        assertEquals(DemoBucket.WDS_SAMPLES, d.sampleCount());
        assertEquals("webdataset", d.exportPath());
        assertEquals(4, d.index().objects().size());
        assertTrue(d.id().matches("ds-[0-9a-f]{12}"), d.id());
    }

    @Test
    void register_imageFolder_isInTorchvisionOrder() {
        ServedDataset d = registry().register("/imagefolder/train/", DatasetKind.IMAGEFOLDER, List.of());
        assertEquals(DemoBucket.IMAGES, d.sampleCount());
        assertEquals("imagefolder/train", d.exportPath());
        assertEquals("imagefolder/train/cat/0000.jpg", d.index().key(0));
        assertEquals("imagefolder/train/dog/0000.jpg", d.index().key(50));
        assertEquals("imagefolder/train/ship/0049.jpg", d.index().key(199));
    }

    @Test
    void register_underAPrefix_mapsExportPathsToKeysAsTheGatewayDoes() {
        InMemoryObjectStore prefixed = DemoBucket.create("data/");
        DatasetRegistry r = registry(prefixed, "/data");
        ServedDataset d = r.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of());
        assertEquals("data/imagefolder/train/cat/0000.jpg", d.index().key(0));
        assertEquals(OptionalLong.of(50), r.sampleOf(d.id(), "dog/0000.jpg"));
        assertEquals("imagefolder/train", r.exportPathOf("/mnt/x/imagefolder/train").orElseThrow());
    }

    @Test
    void register_sameSpecTwice_returnsTheSameDataset_andBuildsOnce() {
        DatasetRegistry r = registry();
        ServedDataset a = r.register("webdataset", DatasetKind.WEBDATASET, List.of());
        ServedDataset b = r.register("webdataset/", DatasetKind.WEBDATASET, List.of());
        assertSame(a, b);
        assertEquals(4, scanned());
        assertEquals(List.of(a), List.copyOf(r.all()));
        assertEquals(a, r.byId(a.id()).orElseThrow());
    }

    @Test
    void register_concurrentCallers_shareOneBuild() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        store.setGetHook((key, offset, length) -> release.await(10, TimeUnit.SECONDS));
        DatasetRegistry r = registry();
        CompletableFuture<ServedDataset> first = r.registerAsync("webdataset", Format.WEBDATASET, FileLayout.SORTED,
                List.of());
        CompletableFuture<ServedDataset> second = r.registerAsync("webdataset", Format.WEBDATASET,
                FileLayout.SORTED, List.of());
        assertFalse(first.isDone());
        release.countDown();
        assertSame(first.get(10, TimeUnit.SECONDS), second.get(10, TimeUnit.SECONDS));
        assertEquals(4, scanned(), "one build: each shard scanned once");
    }

    @Test
    void restart_reusesThePersistedIndex_withoutReadingAnObject() {
        ServedDataset before = registry().register("webdataset", DatasetKind.WEBDATASET, List.of());
        store.resetCounters();
        DatasetRegistry restarted = registry();
        ServedDataset after = restarted.register("webdataset", DatasetKind.WEBDATASET, List.of());
        assertEquals(0, scanned());
        assertEquals(4, meters.get("prefetchd.datasets.objects.reused").counter().count());
        assertEquals(0, store.getCount(), "no GET after a restart over an unchanged bucket");
        assertEquals(before.id(), after.id(), "ids are stable across restarts");
        assertEquals(before.sampleCount(), after.sampleCount());
    }

    @Test
    void restart_afterOneShardChanged_rescansOnlyThatShard() {
        registry().register("webdataset", DatasetKind.WEBDATASET, List.of());
        DemoDataset demo = new DemoDataset();
        // shard 0 now holds shard 1's samples: a new ETag, still a valid tar
        store.put(demo.shardKeys().get(0), demo.content(demo.shardKeys().get(1)));
        ServedDataset d = registry().register("webdataset", DatasetKind.WEBDATASET, List.of());
        assertEquals(1, scanned());
        assertEquals(3, meters.get("prefetchd.datasets.objects.reused").counter().count());
        assertEquals(d.index().key(25), d.index().key(0), "shard 0 was re-read: it starts like shard 1 now");
    }

    @Test
    void register_missingPath_isNotFoundNamingIt() {
        DatasetException e = assertThrows(DatasetException.class,
                () -> registry().register("no/such/folder", DatasetKind.FILES, List.of()));
        assertEquals(DatasetException.Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("files 'no/such/folder'"), e.getMessage());
        assertTrue(e.getMessage().contains("s3://demo/no/such/folder"), e.getMessage());
    }

    @Test
    void register_folderWithoutShards_isEmpty() {
        DatasetException e = assertThrows(DatasetException.class,
                () -> registry().register("imagefolder", DatasetKind.WEBDATASET, List.of()));
        assertEquals(DatasetException.Reason.EMPTY, e.reason());
        assertTrue(e.getMessage().startsWith("webdataset 'imagefolder': no samples"), e.getMessage());
    }

    @Test
    void register_allObjectsCorrupt_isUnreadableNamingTheObject() {
        store.put("broken/a.tar", "not a tar at all".repeat(64).getBytes(StandardCharsets.US_ASCII));
        DatasetException e = assertThrows(DatasetException.class,
                () -> registry().register("broken", DatasetKind.WEBDATASET, List.of()));
        assertEquals(DatasetException.Reason.UNREADABLE, e.reason());
        assertTrue(e.getMessage().contains("broken/a.tar"), e.getMessage());
    }

    @Test
    void register_columnsOnWebDataset_isInvalid() {
        DatasetException e = assertThrows(DatasetException.class,
                () -> registry().register("webdataset", DatasetKind.WEBDATASET, List.of("image")));
        assertEquals(DatasetException.Reason.INVALID, e.reason());
    }

    @Test
    void register_failed_isRetriedByTheNextCall() {
        DatasetRegistry r = registry();
        assertThrows(DatasetException.class, () -> r.register("later", DatasetKind.FILES, List.of()));
        store.put("later/a.bin", new byte[10]);
        assertEquals(1, r.register("later", DatasetKind.FILES, List.of()).sampleCount());
    }

    @Test
    void listener_isCalledOncePerDataset_andReplaysEarlierOnes() {
        DatasetRegistry r = registry();
        List<String> early = new ArrayList<>();
        r.addListener(d -> early.add(d.exportPath()));
        r.register("webdataset", DatasetKind.WEBDATASET, List.of());
        r.register("webdataset", DatasetKind.WEBDATASET, List.of());
        List<String> late = new ArrayList<>();
        r.addListener(d -> late.add(d.exportPath()));
        r.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of());
        assertEquals(List.of("webdataset", "imagefolder/train"), early);
        assertEquals(List.of("webdataset", "imagefolder/train"), late);
    }

    @Test
    void exportPathOf_takesTheLongestTrailingPartInTheBucket() {
        DatasetRegistry r = registry();
        assertEquals("imagefolder/train", r.exportPathOf("/mnt/data/imagefolder/train/").orElseThrow());
        assertEquals("webdataset", r.exportPathOf("/home/me/webdataset").orElseThrow());
        assertEquals("webdataset/train-000000.tar", r.exportPathOf("/x/webdataset/train-000000.tar").orElseThrow());
        assertTrue(r.exportPathOf("/mnt/data/nothing/here").isEmpty());
    }

    @Test
    void sampleOf_mapsRelativePathsToSamples() {
        DatasetRegistry r = registry();
        ServedDataset d = r.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of());
        assertEquals(OptionalLong.of(0), r.sampleOf(d.id(), "cat/0000.jpg"));
        assertEquals(OptionalLong.of(199), r.sampleOf(d.id(), "./ship/0049.jpg"));
        assertTrue(r.sampleOf(d.id(), "cat/9999.jpg").isEmpty());
        ServedDataset w = r.register("webdataset", DatasetKind.WEBDATASET, List.of());
        assertThrows(IllegalArgumentException.class, () -> r.sampleOf(w.id(), "sample000000"));
    }

    @Test
    void registerConfigured_indexesInTheBackground_andAFailureDoesNotStopTheOthers() throws Exception {
        DatasetRegistry r = registry();
        var futures = r.registerConfigured(List.of("webdataset:webdataset", "imagefolder:nowhere",
                "imagefolder:imagefolder/train"));
        assertEquals(100, futures.get(0).get(10, TimeUnit.SECONDS).sampleCount());
        assertTrue(futures.get(1).handle((d, e) -> e).get(10, TimeUnit.SECONDS) != null);
        assertEquals(200, futures.get(2).get(10, TimeUnit.SECONDS).sampleCount());
        assertEquals(2, r.all().size());
    }

    @Test
    void registerConfigured_badEntry_isRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> registry().registerConfigured(List.of("tfrecord:train")));
        assertTrue(e.getMessage().contains("'tfrecord:train'"), e.getMessage());
    }

    @Test
    void reindex_afterAChange_replacesTheDataset_andTellsTheListeners() throws Exception {
        DatasetRegistry r = registry();
        ServedDataset before = r.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of());
        List<Long> counts = new ArrayList<>();
        r.addListener(d -> counts.add(d.sampleCount()));
        assertSame(before, r.reindex(before.id()).get(10, TimeUnit.SECONDS), "unchanged: the same dataset");
        store.put("imagefolder/train/cat/0050.jpg", new byte[100]);
        ServedDataset after = r.reindex(before.id()).get(10, TimeUnit.SECONDS);
        assertEquals(201, after.sampleCount());
        assertEquals(before.id(), after.id());
        assertSame(after, r.byId(before.id()).orElseThrow());
        assertSame(after, r.register("imagefolder/train", DatasetKind.IMAGEFOLDER, List.of()));
        assertEquals(OptionalLong.of(50), r.sampleOf(after.id(), "cat/0050.jpg"));
        assertEquals(List.of(200L, 201L), counts);
    }

    @Test
    void reindex_filesDataset_afterOneObjectChanged_indexesItsNewVersion_reusingTheRest() throws Exception {
        DatasetRegistry r = registry();
        ServedDataset before = r.register("imagefolder", DatasetKind.FILES, List.of());
        assertSame(before, r.reindex(before.id()).get(10, TimeUnit.SECONDS), "unchanged: the same dataset");
        String key = before.index().objectKey(10);
        store.put(key, new byte[7]);

        ServedDataset after = r.reindex(before.id()).get(10, TimeUnit.SECONDS);

        assertEquals(before.sampleCount(), after.sampleCount());
        assertEquals(key, after.index().objectKey(10));
        assertEquals(7, after.index().objectSize(10));
        assertEquals(before.sampleCount() + 1, scanned(), "the first build, then the changed object");
        assertEquals(2 * before.sampleCount() - 1, meters.get("prefetchd.datasets.objects.reused").counter().count());
    }

    @Test
    void register_filesFolderOfHiddenObjectsOnly_isEmpty() {
        store.put("hidden/.keep", new byte[1]);
        store.put("hidden/.cache/x.jpg", new byte[1]);

        DatasetException e = assertThrows(DatasetException.class,
                () -> registry().register("hidden", DatasetKind.FILES, List.of()));

        assertEquals(DatasetException.Reason.EMPTY, e.reason());
        assertTrue(e.getMessage().startsWith("files 'hidden': no samples"), e.getMessage());
    }
}
