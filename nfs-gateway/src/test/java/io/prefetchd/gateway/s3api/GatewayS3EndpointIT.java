package io.prefetchd.gateway.s3api;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.daemon.GatewayFixture;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.CountingBlobStore;
import io.prefetchd.testing.Prerequisites;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import io.prefetchd.gateway.fs.CreateHow;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.FsError;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The S3 contract against the gateway's endpoint (a gateway over S3Proxy, its endpoint on loopback), and what only
 * the gateway does: cached bytes served with no GET at the backend, GETs traced like NFS READs, writes refused as
 * for a read-only bucket, and real S3 clients (boto3, the AWS CLI) listing and reading through it.
 */
class GatewayS3EndpointIT extends S3EndpointContract {
    private CountingBlobStore backendStore;
    private S3ProxyFixture backend;
    private GatewayFixture gateway;
    private S3ApiServer endpoint;
    private Path stateDir;

    @Override
    URI start() throws Exception {
        backendStore = new CountingBlobStore(new TransientNio2BlobStore());
        backend = S3ProxyFixture.start(backendStore);
        backend.createBucket(BUCKET);
        for (Map.Entry<String, byte[]> e : OBJECTS.entrySet()) {
            backend.put(BUCKET, e.getKey(), e.getValue());
        }
        stateDir = Files.createTempDirectory("s3api-gateway");
        gateway = new GatewayFixture(backend, BUCKET, stateDir).withWrites().start();
        endpoint = S3ApiServer.start(new S3ApiSettings("127.0.0.1", 0, ACCESS_KEY, SECRET_KEY, "", 1 << 20,
                stateDir.resolve("s3-api")), BUCKET, gateway.gateway().served(), gateway.gateway().readObserver(),
                new Owner(0, 0, 0755), client -> true, new SimpleMeterRegistry(), Clock.systemUTC());
        return endpoint.endpoint();
    }

    @Override
    void stop() throws Exception {
        if (endpoint != null) {
            endpoint.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (stateDir != null) {
            try (var files = Files.walk(stateDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void cachedObject_servedAgainWithZeroBackendGets() {
        String key = "train/shard-001.tar";
        byte[] src = OBJECTS.get(key);
        assertArrayEquals(src, get(key, null));   // reads through: now cached
        long before = backendStore.gets();
        assertArrayEquals(src, get(key, null));
        assertArrayEquals(Arrays.copyOfRange(src, 123_456, 2_345_678), get(key, "bytes=123456-2345677"));
        assertArrayEquals(Arrays.copyOfRange(src, src.length - 100, src.length), get(key, "bytes=-100"));
        assertEquals(0, backendStore.gets() - before, "GETs at the emulated S3 for cached bytes");
    }

    @Test
    void get_partsAreTracedLikeNfsReads() throws Exception {
        long before = gateway.gateway().tracer().stats().accepted();
        get("train/shard-000.tar", "bytes=0-2097151");   // two parts of 1 MiB
        gateway.gateway().tracer().flush().get(30, TimeUnit.SECONDS);
        assertEquals(2, gateway.gateway().tracer().stats().accepted() - before, "one trace record a part");
    }

    @Test
    @Order(WRITES)
    void put_isInTheBackendWhenItAnswers_andTheFileSystemShowsIt() throws Exception {
        byte[] b = random(20, 200_000);
        put("written/gw/new/deeper/model.pt", b);
        assertArrayEquals(b, backend.adminClient().getObject(g -> g.bucket(BUCKET).key("written/gw/new/deeper/model.pt"),
                software.amazon.awssdk.core.async.AsyncResponseTransformer.toBytes()).join().asByteArray());
        VirtualFileSystem fs = gateway.gateway().served();
        Inode dir = fs.lookup(fs.lookup(fs.lookup(fs.lookup(Inode.ROOT, "written"), "gw"), "new"), "deeper");
        Inode file = fs.lookup(dir, "model.pt");
        FileAttributes a = fs.getattr(file);
        assertEquals(b.length, a.size());
        assertArrayEquals(b, fs.read(file, a, 0, b.length).data());
        long before = backendStore.gets();
        assertArrayEquals(b, get("written/gw/new/deeper/model.pt", null));
        assertEquals(0, backendStore.gets() - before, "what was just written is read back from the cache");
    }

    @Test
    @Order(WRITES)
    void fileWrittenThroughTheFileSystem_isReadableAtOnce_andAfterItsUpload() throws Exception {
        VirtualFileSystem fs = gateway.gateway().served();
        Inode dir = fs.mkdir(Inode.ROOT, "nfs-written", NewAttributes.NONE, new Owner(1000, 1000, 0755));
        Inode f = fs.create(dir, "log.txt", new CreateHow(CreateHow.Mode.GUARDED, 0, NewAttributes.NONE),
                new Owner(1000, 1000, 0644));
        byte[] b = random(21, 70_000);
        fs.write(f, 0, ByteBuffer.wrap(b), true);
        assertArrayEquals(b, get("nfs-written/log.txt", null), "staged bytes, before any upload");
        fs.closed(f);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        // until the gateway itself counts the upload done: the object is in the backend a moment before the
        // gateway's bookkeeping lets it answer for the name (until then the staged file does, with its own ETag)
        while (backend.adminClient().listObjectsV2(l -> l.bucket(BUCKET).prefix("nfs-written/log.txt")).join()
                .keyCount() == 0 || String.valueOf(fs.getattr(f).etag()).startsWith("staged-")) {
            assertTrue(System.nanoTime() < deadline, "the upload of a closed file did not happen");
            Thread.sleep(50);   // the gateway's uploader runs on its own schedule
        }
        assertArrayEquals(b, get("nfs-written/log.txt", null), "the object, after the upload");
        assertEquals("\"" + md5Hex(b) + "\"", s3().headObject(h -> h.bucket(BUCKET).key("nfs-written/log.txt")).eTag());
    }

    @Test
    @Order(WRITES)
    void put_keysTheFileSystemCannotHold_invalidRequest() {
        put("written/gw/file.bin", random(22, 10));
        for (String key : List.of("written/gw/file.bin/below.bin", "written/gw", "written/./x", "written/gw/../x")) {
            S3Exception e = assertThrows(S3Exception.class, () -> put(key, random(23, 10)), key);
            assertEquals(400, e.statusCode(), key);
            assertEquals("InvalidRequest", e.awsErrorDetails().errorCode(), key);
        }
    }

    @Test
    @Order(WRITES)
    void putOfAFolderKey_makesTheFolder() throws Exception {
        put("written/gw/folder/", new byte[0]);
        VirtualFileSystem fs = gateway.gateway().served();
        assertTrue(fs.lookup(fs.lookup(fs.lookup(Inode.ROOT, "written"), "gw"), "folder").isDirectory());
        s3().deleteObject(d -> d.bucket(BUCKET).key("written/gw/folder/"));
        FsException gone = assertThrows(FsException.class,
                () -> fs.lookup(fs.lookup(fs.lookup(Inode.ROOT, "written"), "gw"), "folder"));
        assertEquals(FsError.NOENT, gone.error());
    }

    @Test
    @Order(WRITES)
    void writes_refusedWithAccessDenied_whereTheClientsExportRuleIsReadOnly() throws Exception {
        try (S3ApiServer readOnly = S3ApiServer.start(new S3ApiSettings("127.0.0.1", 0, ACCESS_KEY, SECRET_KEY, "",
                1 << 20, stateDir.resolve("s3-api-ro")), BUCKET, gateway.gateway().served(),
                gateway.gateway().readObserver(), new Owner(0, 0, 0755), client -> !client.isLoopbackAddress(),
                new SimpleMeterRegistry(), Clock.systemUTC());
             S3Client ro = client(readOnly.endpoint(), SECRET_KEY)) {
            List<Executable> writes = new ArrayList<>();
            writes.add(() -> ro.putObject(b -> b.bucket(BUCKET).key("new.bin"), RequestBody.fromBytes(new byte[10])));
            writes.add(() -> ro.putObject(b -> b.bucket(BUCKET).key("readme.txt"), RequestBody.fromBytes(new byte[1])));
            writes.add(() -> ro.deleteObject(b -> b.bucket(BUCKET).key("readme.txt")));
            writes.add(() -> ro.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("readme.txt")
                    .destinationBucket(BUCKET).destinationKey("copy.txt")));
            writes.add(() -> ro.createMultipartUpload(b -> b.bucket(BUCKET).key("big.bin")));
            for (Executable w : writes) {
                S3Exception e = assertThrows(S3Exception.class, w);
                assertEquals(403, e.statusCode());
                assertEquals("AccessDenied", e.awsErrorDetails().errorCode());
            }
            DeleteObjectsResponse batch = ro.deleteObjects(b -> b.bucket(BUCKET).delete(Delete.builder()
                    .objects(ObjectIdentifier.builder().key("val/a.bin").build(),
                            ObjectIdentifier.builder().key("val/b.bin").build()).build()));
            assertEquals(2, batch.errors().size());
            assertTrue(batch.errors().stream().allMatch(err -> err.code().equals("AccessDenied")), batch.toString());
            assertArrayEquals(OBJECTS.get("readme.txt"), ro.getObjectAsBytes(b -> b.bucket(BUCKET).key("readme.txt"))
                    .asByteArray(), "reads go on");
        }
        assertArrayEquals(OBJECTS.get("val/a.bin"), get("val/a.bin", null));
    }

    @Test
    @Order(WRITES)
    void virtualHostStyle_readsAndWritesAddressedAsBucketDotHost() throws Exception {
        try (S3ApiServer vh = S3ApiServer.start(new S3ApiSettings("127.0.0.1", 0, ACCESS_KEY, SECRET_KEY, "s3.test",
                1 << 20, stateDir.resolve("s3-api-vh")), BUCKET, gateway.gateway().served(),
                gateway.gateway().readObserver(), new Owner(0, 0, 0755), client -> true, new SimpleMeterRegistry(),
                Clock.systemUTC());
             S3Client c = S3Client.builder().endpointOverride(URI.create("http://s3.test:" + vh.port()))
                     .forcePathStyle(false).region(software.amazon.awssdk.regions.Region.US_EAST_1)
                     .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                             software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(ACCESS_KEY,
                                     SECRET_KEY)))
                     .httpClientBuilder(software.amazon.awssdk.http.apache5.Apache5HttpClient.builder()
                             .dnsResolver(new LoopbackResolver())).build()) {
            assertArrayEquals(OBJECTS.get("readme.txt"), c.getObjectAsBytes(b -> b.bucket(BUCKET).key("readme.txt"))
                    .asByteArray());
            assertEquals(List.of("val/a.bin", "val/b.bin"), keys(c.listObjectsV2(b -> b.bucket(BUCKET).prefix("val/"))
                    .contents()));
            byte[] b = random(24, 1000);
            c.putObject(p -> p.bucket(BUCKET).key("written/vh/x.bin"), RequestBody.fromBytes(b));
            assertArrayEquals(b, get("written/vh/x.bin", null), "written virtual-host style, read path style");
        }
    }

    /** Every name is the loopback address: {@code BUCKET.s3.test} reaches the endpoint without DNS. */
    private static final class LoopbackResolver implements org.apache.hc.client5.http.DnsResolver {
        @Override
        public java.net.InetAddress[] resolve(String host) throws java.net.UnknownHostException {
            return new java.net.InetAddress[] {java.net.InetAddress.getLoopbackAddress()};
        }

        @Override
        public String resolveCanonicalHostname(String host) {
            return host;
        }
    }

    /** rclone (Debian's package) copies a folder into the bucket through the endpoint and checks it byte for byte. */
    @Test
    @Order(WRITES)
    void rclone_copyAndCheck() throws Exception {
        Prerequisites.require(onPath("rclone"), "rclone is missing (apt-get install rclone)");
        Path local = Files.createDirectories(stateDir.resolve("rclone-src/sub"));
        Files.write(local.resolve("one.bin"), random(25, 300_000));
        Files.write(local.getParent().resolve("two.bin"), random(26, 20 << 20));   // multipart in rclone's terms
        for (List<String> args : List.of(
                List.of("copy", local.getParent().toString(), "gw:" + BUCKET + "/written/rclone"),
                List.of("check", local.getParent().toString(), "gw:" + BUCKET + "/written/rclone"),
                List.of("lsf", "-R", "gw:" + BUCKET + "/written/rclone"))) {
            List<String> cmd = new ArrayList<>(List.of("rclone", "--config", "/dev/null"));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.remove("AWS_CA_BUNDLE");   // rclone cannot apply a CA bundle to a plain HTTP endpoint
            env.put("RCLONE_CONFIG_GW_TYPE", "s3");
            env.put("RCLONE_CONFIG_GW_PROVIDER", "Other");
            env.put("RCLONE_CONFIG_GW_ENDPOINT", endpoint.endpoint().toString());
            env.put("RCLONE_CONFIG_GW_ACCESS_KEY_ID", ACCESS_KEY);
            env.put("RCLONE_CONFIG_GW_SECRET_ACCESS_KEY", SECRET_KEY);
            env.put("RCLONE_CONFIG_GW_FORCE_PATH_STYLE", "true");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "rclone timed out: " + out);
            assertEquals(0, p.exitValue(), String.join(" ", args) + ": " + out);
            if (args.get(0).equals("lsf")) {
                assertEquals(List.of("sub/", "sub/one.bin", "two.bin"), out.lines().sorted().toList(), out);
            }
        }
        assertArrayEquals(random(26, 20 << 20), get("written/rclone/two.bin", null));
    }

    /**
     * s3fs (Debian's package) mounts the bucket through the endpoint: a file written through the mount is an object
     * with the same bytes, and an object is read through it. Skipped where FUSE mounts are not allowed.
     */
    @Test
    @Order(WRITES)
    void s3fs_mountWriteAndRead() throws Exception {
        Prerequisites.require(onPath("s3fs"), "s3fs is missing (apt-get install s3fs)");
        Path mnt = Files.createDirectories(stateDir.resolve("s3fs-mnt"));
        Path passwd = Files.writeString(stateDir.resolve("s3fs-passwd"), ACCESS_KEY + ":" + SECRET_KEY);
        Files.setPosixFilePermissions(passwd, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Process mount = new ProcessBuilder("s3fs", BUCKET, mnt.toString(), "-o", "url=" + endpoint.endpoint(), "-o",
                "use_path_request_style", "-o", "passwd_file=" + passwd, "-o", "endpoint=us-east-1", "-o",
                "sigv4").redirectErrorStream(true).start();
        String out = new String(mount.getInputStream().readAllBytes());
        assertTrue(mount.waitFor(60, TimeUnit.SECONDS), out);
        // a machine that allows no FUSE mounts lacks a capability, not a package: skipped there, in CI too
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.exitValue() == 0
                && Files.exists(mnt.resolve("readme.txt")), "s3fs cannot mount here (FUSE not allowed?): " + out);
        try {
            assertArrayEquals(OBJECTS.get("readme.txt"), Files.readAllBytes(mnt.resolve("readme.txt")));
            byte[] b = random(27, 2_000_000);
            Files.createDirectories(mnt.resolve("written/s3fs"));
            Files.write(mnt.resolve("written/s3fs/out.bin"), b);
            assertArrayEquals(b, get("written/s3fs/out.bin", null));
        } finally {
            new ProcessBuilder("fusermount", "-u", mnt.toString()).redirectErrorStream(true).start().waitFor(30,
                    TimeUnit.SECONDS);
        }
    }

    /** boto3 and the AWS CLI (Debian's python3-boto3 and awscli) list and read through the endpoint. */
    @Test
    @Order(WRITES - 1)
    void boto3AndAwsCli_listAndGetThroughTheEndpoint() throws Exception {
        String python = pythonWithBoto3();
        Prerequisites.require(python != null, "boto3 missing (apt-get install python3-boto3)");
        Prerequisites.require(onPath("aws"), "the AWS CLI is missing (apt-get install awscli)");
        Path script = Path.of(getClass().getResource("/s3api/s3_clients.py").toURI());
        String key = "train/shard-002.tar";
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(OBJECTS.get(key)));
        ProcessBuilder pb = new ProcessBuilder(python, script.toString(), endpoint.endpoint().toString(), BUCKET, key,
                sha, String.join(",", OBJECTS.keySet())).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_CONFIG_FILE", stateDir.resolve("no-aws-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", stateDir.resolve("no-aws-credentials").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the clients' script timed out: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("ALL OK"), out);
    }

    private static String pythonWithBoto3() throws Exception {
        for (String python : List.of("/usr/bin/python3", "python3")) {
            if (python.startsWith("/") && !Files.isExecutable(Path.of(python))) {
                continue;
            }
            Process probe = new ProcessBuilder(python, "-c", "import boto3").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            if (probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0) {
                return python;
            }
        }
        return null;
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
