package io.prefetchd.gateway.s3;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * An in-process S3 server (S3Proxy on an in-memory or local-folder blob store) on a free loopback port, with
 * an admin client for setting up buckets and objects. Reusable by any test in the gateway:
 *
 * <pre>{@code
 * try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
 *     s3.createBucket("data");
 *     String etag = s3.put("data", "train/shard-0.tar", bytes);
 *     try (ObjectStore store = s3.openStore("data", new SimpleMeterRegistry())) { ... }
 * }
 * }</pre>
 *
 * <p>Thread-safe after {@link #start()}: the admin client is thread-safe.
 */
public final class S3ProxyFixture implements AutoCloseable {
    public static final String ACCESS_KEY = "prefetchd-test-access";
    public static final String SECRET_KEY = "prefetchd-test-secret";
    public static final String REGION = "us-east-1";

    private final S3Proxy proxy;
    private final URI endpoint;
    private final AwsCredentialsProvider credentials;
    private final S3AsyncClient admin;

    private S3ProxyFixture(S3Proxy proxy, URI endpoint) {
        this.proxy = proxy;
        this.endpoint = endpoint;
        this.credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
        this.admin = S3AsyncClient.builder()
                .httpClientBuilder(NettyNioAsyncHttpClient.builder())
                .endpointOverride(endpoint)
                .forcePathStyle(true)
                .region(Region.of(REGION))
                .credentialsProvider(credentials)
                .build();
    }

    /** An S3 server keeping objects in memory. */
    public static S3ProxyFixture start() {
        return start(new TransientNio2BlobStore());
    }

    /** An S3 server keeping objects in {@code dir} (buckets are sub-folders). */
    public static S3ProxyFixture startOnDisk(Path dir) {
        return start(new FilesystemNio2BlobStore(dir.toString()));
    }

    /** An S3 server over {@code blobStore} (e.g. a middleware that counts requests). */
    public static S3ProxyFixture start(BlobStore blobStore) {
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(blobStore)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .build();
        try {
            proxy.start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!"STARTED".equals(proxy.getState())) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
                }
                Thread.sleep(10); // waiting for Jetty, not for our code
            }
        } catch (Exception e) {
            try {
                proxy.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("cannot start S3Proxy", e);
        }
        return new S3ProxyFixture(proxy, URI.create("http://127.0.0.1:" + proxy.getPort()));
    }

    public URI endpoint() {
        return endpoint;
    }

    /**
     * Properties for {@code Daemon.start} serving {@code bucket} of this S3Proxy, everything on loopback: NFS and
     * gRPC on free ports, no HTTP server. Mutable, for the test to add its own.
     */
    public Map<String, Object> daemonProperties(String bucket, Path stateDir) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("prefetchd.state-dir", stateDir.toString());
        p.put("prefetchd.s3.endpoint", endpoint.toString());
        p.put("prefetchd.s3.bucket", bucket);
        p.put("prefetchd.s3.path-style", true);
        p.put("prefetchd.s3.access-key", ACCESS_KEY);
        p.put("prefetchd.s3.secret-key", SECRET_KEY);
        p.put("prefetchd.bind", "127.0.0.1");
        p.put("prefetchd.nfs.port", 0);
        p.put("prefetchd.grpc.port", 0);
        p.put("micronaut.server.port", -1);
        return p;
    }

    /**
     * As {@link #daemonProperties}, for a gateway that takes writes: staging on, and the loopback client (the test
     * VM's mount) admitted read-write without squashing, so the guest's root writes as root.
     */
    public Map<String, Object> writableDaemonProperties(String bucket, Path stateDir) {
        Map<String, Object> p = daemonProperties(bucket, stateDir);
        p.put("prefetchd.write.enabled", true);
        p.put("prefetchd.access.exports", "127.0.0.1 rw no-squash");
        return p;
    }

    public AwsCredentialsProvider credentials() {
        return credentials;
    }

    /** The admin client (path-style, static credentials) for anything this fixture does not wrap. */
    public S3AsyncClient adminClient() {
        return admin;
    }

    /** Settings for {@code bucket} on this server, with the default bounds. */
    public S3Settings settings(String bucket) {
        return S3Settings.of(endpoint, REGION, bucket, true);
    }

    /** A store for {@code bucket} on this server (its credentials, not the default chain). */
    public S3ObjectStore openStore(String bucket, MeterRegistry registry) {
        return openStore(settings(bucket), registry);
    }

    public S3ObjectStore openStore(S3Settings settings, MeterRegistry registry) {
        return S3ObjectStore.create(settings, registry, credentials);
    }

    public void createBucket(String bucket) {
        admin.createBucket(b -> b.bucket(requireNonNull(bucket, "bucket is null"))).join();
    }

    /** Uploads an object and returns its ETag without quotes. */
    public String put(String bucket, String key, byte[] bytes) {
        String etag = admin.putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromBytes(bytes))
                .join()
                .eTag();
        return S3ObjectStore.unquote(etag);
    }

    /** The object's bytes, or null when the bucket has no such key. */
    public byte @Nullable [] get(String bucket, String key) {
        try {
            return admin.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes()).join()
                    .asByteArray();
        } catch (CompletionException e) {
            if (e.getCause() instanceof NoSuchKeyException) {
                return null;
            }
            throw e;
        }
    }

    public void delete(String bucket, String key) {
        admin.deleteObject(b -> b.bucket(bucket).key(key)).join();
    }

    @Override
    public void close() {
        admin.close();
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop S3Proxy", e);
        }
    }
}
