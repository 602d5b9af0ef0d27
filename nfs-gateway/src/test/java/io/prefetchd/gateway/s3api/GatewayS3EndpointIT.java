package io.prefetchd.gateway.s3api;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.daemon.GatewayFixture;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.testing.Prerequisites;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.net.URI;
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
        gateway = new GatewayFixture(backend, BUCKET, stateDir).start();
        endpoint = S3ApiServer.start(new S3ApiSettings("127.0.0.1", 0, ACCESS_KEY, SECRET_KEY, "", 1 << 20), BUCKET,
                gateway.gateway().fileSystem(), gateway.gateway().readObserver(), new SimpleMeterRegistry(),
                Clock.systemUTC());
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
    void writes_refusedWithAccessDenied_nothingChanges() {
        List<Executable> writes = new ArrayList<>();
        writes.add(() -> s3().putObject(b -> b.bucket(BUCKET).key("new.bin"), RequestBody.fromBytes(new byte[10])));
        writes.add(() -> s3().putObject(b -> b.bucket(BUCKET).key("readme.txt"), RequestBody.fromBytes(new byte[1])));
        writes.add(() -> s3().deleteObject(b -> b.bucket(BUCKET).key("readme.txt")));
        writes.add(() -> s3().copyObject(b -> b.sourceBucket(BUCKET).sourceKey("readme.txt")
                .destinationBucket(BUCKET).destinationKey("copy.txt")));
        writes.add(() -> s3().createMultipartUpload(b -> b.bucket(BUCKET).key("big.bin")));
        for (Executable w : writes) {
            S3Exception e = assertThrows(S3Exception.class, w);
            assertEquals(403, e.statusCode());
            assertEquals("AccessDenied", e.awsErrorDetails().errorCode());
        }
        DeleteObjectsResponse batch = s3().deleteObjects(b -> b.bucket(BUCKET).delete(Delete.builder()
                .objects(ObjectIdentifier.builder().key("val/a.bin").build(),
                        ObjectIdentifier.builder().key("val/b.bin").build()).build()));
        assertEquals(2, batch.errors().size());
        assertTrue(batch.errors().stream().allMatch(err -> err.code().equals("AccessDenied")), batch.toString());
        assertArrayEquals(OBJECTS.get("readme.txt"), get("readme.txt", null));
        assertEquals(OBJECTS.size(), backend.adminClient().listObjectsV2(b -> b.bucket(BUCKET)).join().keyCount());
    }

    /** boto3 and the AWS CLI (Debian's python3-boto3 and awscli) list and read through the endpoint. */
    @Test
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
