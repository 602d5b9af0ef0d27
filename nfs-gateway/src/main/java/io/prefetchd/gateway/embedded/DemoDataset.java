package io.prefetchd.gateway.embedded;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import io.prefetchd.formats.TarWriter;

import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A small training dataset that someone new to the gateway recognises at a glance, generated
 * reproducibly from a seed and uploaded through the S3 API.
 *
 * <p>Layout (206 objects, about 16 MB):
 * <pre>
 * README.txt                                what this is and how to mount it
 * imagefolder/train/{cat,dog,frog,ship}/NNNN.jpg   torchvision ImageFolder: 4 classes x 50 files, 8-40 KiB
 * webdataset/train-00000{0..3}.tar          WebDataset shards: 25 samples each, members KEY.jpg + KEY.cls
 * big/blob.bin                              8 MiB, for sequential-read and large-range tests
 * </pre>
 *
 * <p>The ".jpg" files start with a JFIF header and end with an EOI marker but hold random bytes
 * in between: they look like JPEGs to {@code file(1)} and have realistic sizes, but do not decode.
 * Class indices follow torchvision's rule (sorted folder names: cat=0, dog=1, frog=2, ship=3) and
 * the ".cls" members hold the same index as ASCII digits. The tar shards are POSIX ustar.
 *
 * <p>Every object's bytes come from its own {@link SplitMix64} stream, seeded from the dataset
 * seed and the object's key, so an object's content depends only on (seed, key): the same seed
 * gives the same bytes on any machine and JDK, and {@link #content(String)} can regenerate the
 * expected bytes of any object to check what a client read.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class DemoDataset {

    /** Seed used when none is given: the demo looks the same for everyone. */
    public static final long DEFAULT_SEED = 42L;

    /**
     * The demo's datasets as {@code --dataset FORMAT:PATH} values: indexed by {@code demo} so that the planner
     * prefetches them and reports their epochs, as it would a real dataset's.
     */
    public static final List<String> DATASETS = List.of("imagefolder:imagefolder/train", "webdataset:webdataset");

    /** ImageFolder class names, in class-index order. */
    public static final List<String> CLASSES = List.of("cat", "dog", "frog", "ship");

    static final int FILES_PER_CLASS = 50;
    static final int SHARDS = 4;
    static final int SAMPLES_PER_SHARD = 25;
    static final int MIN_SAMPLE_BYTES = 8 * 1024;
    static final int MAX_SAMPLE_BYTES = 40 * 1024;
    static final int BIG_BLOB_BYTES = 8 * 1024 * 1024;
    /** 2024-01-01T00:00:00Z, stamped on tar members so shards are reproducible. */
    static final long TAR_MTIME = 1_704_067_200L;

    private static final int UPLOAD_CONCURRENCY = 4;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final byte[] JFIF_HEADER = {
        (byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00,
        0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00};
    private static final byte[] JPEG_EOI = {(byte) 0xFF, (byte) 0xD9};

    /** What {@link #uploadTo} did: the dataset's size, and how much of it had to be sent. */
    public record Summary(int objects, long bytes, int uploaded, int skipped, long bytesUploaded) {
        public Summary {
            if (objects < 0 || bytes < 0 || uploaded < 0 || skipped < 0 || bytesUploaded < 0
                    || uploaded + skipped != objects) {
                throw new IllegalArgumentException("inconsistent summary: objects=" + objects
                        + " uploaded=" + uploaded + " skipped=" + skipped);
            }
        }
    }

    private enum Kind { README, IMAGE, SHARD, BLOB }

    private record Spec(Kind kind, int index, long size) { }

    private final long seed;
    /** key -> spec, unmodifiable, in key order (S3 listing order for these ASCII keys). */
    private final Map<String, Spec> specs;

    /** The demo for {@link #DEFAULT_SEED}. */
    public DemoDataset() {
        this(DEFAULT_SEED);
    }

    public DemoDataset(long seed) {
        this.seed = seed;
        this.specs = plan(seed);
    }

    public long seed() {
        return seed;
    }

    /** Every object key, sorted. */
    public List<String> keys() {
        return List.copyOf(specs.keySet());
    }

    /** Keys of the ImageFolder samples, sorted. */
    public List<String> imageKeys() {
        return keysOf(Kind.IMAGE);
    }

    /** Keys of the WebDataset shards, sorted. */
    public List<String> shardKeys() {
        return keysOf(Kind.SHARD);
    }

    public static String readmeKey() {
        return "README.txt";
    }

    public static String bigBlobKey() {
        return "big/blob.bin";
    }

    /** Size in bytes of one object, without generating it. */
    public long size(String key) {
        return spec(key).size();
    }

    /** Total size of all objects. */
    public long totalBytes() {
        return specs.values().stream().mapToLong(Spec::size).sum();
    }

    /** Regenerates the bytes of one object. */
    public byte[] content(String key) {
        Spec spec = spec(key);
        byte[] bytes = switch (spec.kind()) {
            case README -> readme().getBytes(StandardCharsets.UTF_8);
            case IMAGE -> jpegLike(seed, key, spec.size());
            case SHARD -> shard(spec.index());
            case BLOB -> random(seed, key, spec.size());
        };
        if (bytes.length != spec.size()) {
            throw new IllegalStateException("generated " + bytes.length + " bytes for " + key
                    + ", planned " + spec.size());
        }
        return bytes;
    }

    /**
     * Uploads every object that is not already in {@code bucket} with the same size, at most
     * four requests at a time, and waits for them. Objects already there are left untouched, so
     * a second call sends nothing; other objects in the bucket are ignored.
     *
     * @throws IOException if a listing or an upload fails or takes longer than a minute; objects
     *     uploaded before the failure stay in the bucket
     */
    public Summary uploadTo(S3AsyncClient s3, String bucket) throws IOException {
        requireNonNull(s3, "s3 is null");
        requireNonNull(bucket, "bucket is null");
        Map<String, Long> existing = existingSizes(s3, bucket);

        Semaphore permits = new Semaphore(UPLOAD_CONCURRENCY);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        int uploaded = 0;
        long bytesUploaded = 0;
        try {
            for (Map.Entry<String, Spec> e : specs.entrySet()) {
                String key = e.getKey();
                long size = e.getValue().size();
                if (Long.valueOf(size).equals(existing.get(key))) {
                    continue;
                }
                if (!permits.tryAcquire(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IOException("timed out waiting for uploads to s3://" + bucket + " to finish");
                }
                if (failure.get() != null) {
                    permits.release();
                    break;
                }
                byte[] bytes = content(key);
                CompletableFuture<?> put = s3.putObject(
                                r -> r.bucket(bucket).key(key).contentType(contentType(key)),
                                AsyncRequestBody.fromBytes(bytes))
                        .orTimeout(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                        .whenComplete((response, error) -> {
                            if (error != null) {
                                failure.compareAndSet(null, new IOException(
                                        "cannot upload s3://" + bucket + "/" + key + ": " + error.getMessage(), error));
                            }
                            permits.release();
                        });
                inFlight.add(put);
                uploaded++;
                bytesUploaded += size;
            }
            CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
                    .exceptionally(t -> null)
                    .get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            inFlight.forEach(f -> f.cancel(true));
            throw new InterruptedIOException("interrupted while uploading the demo dataset to s3://" + bucket);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("uploading the demo dataset to s3://" + bucket + " did not finish", e);
        }
        Throwable t = failure.get();
        if (t != null) {
            throw (IOException) t;
        }
        return new Summary(specs.size(), totalBytes(), uploaded, specs.size() - uploaded, bytesUploaded);
    }

    private static Map<String, Long> existingSizes(S3AsyncClient s3, String bucket) throws IOException {
        Map<String, Long> sizes = new HashMap<>();
        try {
            s3.listObjectsV2Paginator(r -> r.bucket(bucket))
                    .contents()
                    .subscribe((S3Object o) -> sizes.put(o.key(), o.size()))
                    .get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while listing s3://" + bucket);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IOException("cannot list s3://" + bucket + ": " + cause.getMessage(), cause);
        }
        return sizes;
    }

    // ---- plan: keys and sizes, cheap; content is generated on demand ----

    private static Map<String, Spec> plan(long seed) {
        Map<String, Spec> all = new HashMap<>();
        for (int c = 0; c < CLASSES.size(); c++) {
            for (int i = 0; i < FILES_PER_CLASS; i++) {
                String key = imageKey(c, i);
                all.put(key, new Spec(Kind.IMAGE, c * FILES_PER_CLASS + i, sampleSize(seed, key)));
            }
        }
        for (int s = 0; s < SHARDS; s++) {
            long size = 0;
            for (int i = 0; i < SAMPLES_PER_SHARD; i++) {
                int sample = s * SAMPLES_PER_SHARD + i;
                size += tarMemberSize(sampleSize(seed, wdsSampleStream(sample)));
                size += tarMemberSize(clsBytes(wdsClass(seed, sample)).length);
            }
            all.put(shardKey(s), new Spec(Kind.SHARD, s, size + 2L * TarWriter.BLOCK));
        }
        all.put(bigBlobKey(), new Spec(Kind.BLOB, 0, BIG_BLOB_BYTES));
        // the README states the size of everything else, so it is planned last
        long others = all.values().stream().mapToLong(Spec::size).sum();
        int readmeBytes = readmeText(seed, all.size() + 1, others).getBytes(StandardCharsets.UTF_8).length;
        all.put(readmeKey(), new Spec(Kind.README, 0, readmeBytes));

        Map<String, Spec> sorted = new LinkedHashMap<>();
        all.keySet().stream().sorted().forEach(k -> sorted.put(k, all.get(k)));
        return Collections.unmodifiableMap(sorted);
    }

    static String imageKey(int classIndex, int i) {
        return String.format("imagefolder/train/%s/%04d.jpg", CLASSES.get(classIndex), i);
    }

    static String shardKey(int shard) {
        return String.format("webdataset/train-%06d.tar", shard);
    }

    /** WebDataset sample key inside the shards (the part before the first dot of member names). */
    static String wdsSampleKey(int sample) {
        return String.format("sample%06d", sample);
    }

    private static String wdsSampleStream(int sample) {
        return "webdataset/samples/" + wdsSampleKey(sample) + ".jpg";
    }

    private static int wdsClass(long seed, int sample) {
        return SplitMix64.forStream(seed, "webdataset/samples/" + wdsSampleKey(sample) + ".cls")
                .nextInt(CLASSES.size());
    }

    private static int sampleSize(long seed, String stream) {
        return SplitMix64.forStream(seed, stream + "#size").nextInt(MIN_SAMPLE_BYTES, MAX_SAMPLE_BYTES);
    }

    private static long tarMemberSize(long dataBytes) {
        return TarWriter.BLOCK + dataBytes + TarWriter.padding(dataBytes);
    }

    private static byte[] clsBytes(int classIndex) {
        return Integer.toString(classIndex).getBytes(StandardCharsets.US_ASCII);
    }

    // ---- content generators ----

    private byte[] shard(int shard) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(out, TAR_MTIME)) {
            for (int i = 0; i < SAMPLES_PER_SHARD; i++) {
                int sample = shard * SAMPLES_PER_SHARD + i;
                String stream = wdsSampleStream(sample);
                tar.addFile(wdsSampleKey(sample) + ".jpg", jpegLike(seed, stream, sampleSize(seed, stream)));
                tar.addFile(wdsSampleKey(sample) + ".cls", clsBytes(wdsClass(seed, sample)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("a memory stream failed", e);
        }
        return out.toByteArray();
    }

    private static byte[] jpegLike(long seed, String stream, long size) {
        byte[] b = new byte[Math.toIntExact(size)];
        System.arraycopy(JFIF_HEADER, 0, b, 0, JFIF_HEADER.length);
        SplitMix64.forStream(seed, stream).nextBytes(b, JFIF_HEADER.length, b.length - JPEG_EOI.length);
        System.arraycopy(JPEG_EOI, 0, b, b.length - JPEG_EOI.length, JPEG_EOI.length);
        return b;
    }

    private static byte[] random(long seed, String stream, long size) {
        byte[] b = new byte[Math.toIntExact(size)];
        SplitMix64.forStream(seed, stream).nextBytes(b, 0, b.length);
        return b;
    }

    private String readme() {
        long others = specs.entrySet().stream()
                .filter(e -> !e.getKey().equals(readmeKey()))
                .mapToLong(e -> e.getValue().size())
                .sum();
        return readmeText(seed, specs.size(), others);
    }

    private static String readmeText(long seed, int objects, long bytesBesidesReadme) {
        return """
                prefetchd demo dataset
                ======================

                This bucket was filled by prefetchd's embedded demo (seed %d): %d objects,
                %d bytes besides this file. The data is synthetic: pseudo-random bytes
                made from the seed, so the same seed always gives the same files. It exists
                so you can try the gateway without any data of your own.

                Layout
                  imagefolder/train/<class>/NNNN.jpg   torchvision ImageFolder, 4 classes
                                                      (cat, dog, frog, ship) x 50 files, 8-40 KiB;
                                                      JPEG headers around random bytes, not decodable
                  webdataset/train-00000{0..3}.tar     WebDataset shards (POSIX tar), 25 samples each,
                                                      members sampleNNNNNN.jpg + sampleNNNNNN.cls
                                                      (class index as text: cat=0 dog=1 frog=2 ship=3)
                  big/blob.bin                        8 MiB of random bytes

                Mount it (Linux, NFSv4.1; use the port the daemon printed, 2049 by default):
                  sudo mkdir -p /mnt/data
                  sudo mount -t nfs4 -o vers=4.1,port=2049 127.0.0.1:/ /mnt/data
                  ls /mnt/data

                Read it from PyTorch:
                  torchvision.datasets.ImageFolder("/mnt/data/imagefolder/train")
                  webdataset.WebDataset("/mnt/data/webdataset/train-{000000..000003}.tar")
                """.formatted(seed, objects, bytesBesidesReadme);
    }

    private static String contentType(String key) {
        if (key.endsWith(".txt")) {
            return "text/plain; charset=utf-8";
        } else if (key.endsWith(".jpg")) {
            return "image/jpeg";
        } else if (key.endsWith(".tar")) {
            return "application/x-tar";
        }
        return "application/octet-stream";
    }

    private Spec spec(String key) {
        requireNonNull(key, "key is null");
        Spec spec = specs.get(key);
        if (spec == null) {
            throw new IllegalArgumentException("not an object of the demo dataset: '" + key + "'");
        }
        return spec;
    }

    private List<String> keysOf(Kind kind) {
        return specs.entrySet().stream().filter(e -> e.getValue().kind() == kind).map(Map.Entry::getKey).toList();
    }

    @Override
    public String toString() {
        return "DemoDataset[seed=" + seed + ", objects=" + specs.size() + ", bytes=" + totalBytes() + "]";
    }
}
