package io.prefetchd.gateway.embedded;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * An S3-compatible server in this JVM, serving one bucket from a folder on local disk.
 *
 * <p>This is the daemon's embedded default: with no S3 endpoint configured, the daemon
 * starts one of these so that a newcomer can try the gateway with a single command, and the
 * integration tests use it as their real S3. The gateway talks to it over HTTP with the same
 * AWS SDK client it uses for AWS S3, MinIO or R2, so nothing downstream knows the difference.
 *
 * <p>Under the hood it is S3Proxy 4.1.0 with its {@code FilesystemNio2BlobStore}: a bucket is a
 * directory below {@link #dataDir()}, an object key {@code a/b/c} is the file {@code a/b/c} in
 * it, and the object's metadata (Content-MD5, content type, user metadata) lives in extended
 * attributes of that file. Because the key maps onto a path, this store cannot hold what S3 can:
 * see {@code package-info.java} for the list of differences from AWS S3 that were measured.
 *
 * <p>The server listens on {@code 127.0.0.1} only and accepts AWS signature V2 or V4 with the
 * fixed demo credentials {@link #DEMO_ACCESS_KEY}/{@link #DEMO_SECRET_KEY}. They protect nothing;
 * they exist because S3 clients insist on signing.
 *
 * <p>Thread-safety: an instance is immutable after {@link #start} returns; {@link #close} may be
 * called from any thread and more than once.
 */
public final class EmbeddedS3 implements AutoCloseable {

    /** Access key id the embedded server accepts. */
    public static final String DEMO_ACCESS_KEY = "prefetchd-demo";
    /** Secret key the embedded server accepts. */
    public static final String DEMO_SECRET_KEY = "prefetchd-demo-secret";
    /** Bucket used when none is named. */
    public static final String DEFAULT_BUCKET = "prefetchd-demo";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);
    private static final String HOST = "127.0.0.1";
    /** How long {@link #close} lets requests in flight finish (Jetty's default is 30 s). */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    // S3's rules for new buckets (AWS SDK v2 checks them client-side too, before sending)
    private static final Pattern BUCKET_NAME =
            Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    private final S3Proxy proxy;
    private final BlobStore blobStore;
    private final Path dataDir;
    private final String bucket;
    private final URI endpoint;
    private final Object closeLock = new Object();
    private boolean closed;

    private EmbeddedS3(S3Proxy proxy, BlobStore blobStore, Path dataDir, String bucket, URI endpoint) {
        this.proxy = proxy;
        this.blobStore = blobStore;
        this.dataDir = dataDir;
        this.bucket = bucket;
        this.endpoint = endpoint;
    }

    /** Starts a server for {@link #DEFAULT_BUCKET} over {@code dataDir} on a free port. */
    public static EmbeddedS3 start(Path dataDir) throws IOException {
        return start(dataDir, DEFAULT_BUCKET, 0);
    }

    /**
     * Starts a server over {@code dataDir} and creates {@code bucket} in it unless it exists.
     *
     * @param dataDir folder that holds one sub-folder per bucket; created if missing
     * @param bucket bucket name following S3's naming rules (3-63 chars, lower case, digits, '.', '-')
     * @param port TCP port on 127.0.0.1, or 0 for a free one (read it back from {@link #endpoint()})
     * @throws IOException if the folder cannot be created or the server cannot bind the port
     */
    public static EmbeddedS3 start(Path dataDir, String bucket, int port) throws IOException {
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(bucket, "bucket is null");
        if (!BUCKET_NAME.matcher(bucket).matches() || bucket.contains("..")) {
            throw new IllegalArgumentException("invalid S3 bucket name '" + bucket
                    + "': use 3-63 characters from a-z, 0-9, '.', '-', starting and ending with a letter or digit");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        long startNanos = System.nanoTime();
        Path root = Files.createDirectories(dataDir).toAbsolutePath().normalize();
        if (!Files.isWritable(root)) {
            throw new IOException("embedded S3 data folder is not writable: " + root);
        }

        BlobStore store = new FilesystemNio2BlobStore(root.toString());
        S3Proxy proxy;
        try {
            if (!store.containerExists(bucket)) {
                store.createContainer(bucket);
            }
            proxy = S3Proxy.builder()
                    .blobStore(store)
                    .endpoint(URI.create("http://" + HOST + ":" + port))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
                    .stopTimeout(STOP_TIMEOUT.toMillis())
                    .build();
            proxy.start();
        } catch (Exception e) {
            store.close();
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot start embedded S3 over " + root + " on " + HOST + ":" + port
                    + ": " + e.getMessage(), e);
        }
        if (!"STARTED".equals(proxy.getState())) {
            stopQuietly(proxy, store);
            throw new IOException("embedded S3 did not start, state " + proxy.getState());
        }
        URI endpoint = URI.create("http://" + HOST + ":" + proxy.getPort());
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        LOG.info("Embedded S3 serving bucket '{}' from {} at {} (access key '{}', started in {} ms)",
                bucket, root.resolve(bucket), endpoint, DEMO_ACCESS_KEY, took.toMillis());
        return new EmbeddedS3(proxy, store, root, bucket, endpoint);
    }

    /** Base URL of the server, e.g. {@code http://127.0.0.1:41234}; use path-style addressing. */
    public URI endpoint() {
        return endpoint;
    }

    /** The TCP port the server listens on. */
    public int port() {
        return endpoint.getPort();
    }

    /** The bucket this server was started for (others may exist in {@link #dataDir()}). */
    public String bucket() {
        return bucket;
    }

    public String accessKey() {
        return DEMO_ACCESS_KEY;
    }

    public String secretKey() {
        return DEMO_SECRET_KEY;
    }

    /** Region to sign requests for; the server accepts any, the SDK needs one. */
    public Region region() {
        return Region.US_EAST_1;
    }

    /** Folder holding the buckets; the objects of {@link #bucket()} are below {@code dataDir/bucket}. */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * A new async client configured for this server (Netty HTTP, path-style, us-east-1, the demo
     * credentials). The caller owns and closes it.
     */
    public S3AsyncClient newAsyncClient() {
        return S3AsyncClient.builder()
                .endpointOverride(endpoint)
                .forcePathStyle(true)
                .region(region())
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(DEMO_ACCESS_KEY, DEMO_SECRET_KEY)))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder())
                .build();
    }

    /**
     * Stops the server and releases the port; idempotent. New connections are refused at once;
     * requests in flight get up to five seconds to finish, then are cut off.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        stopQuietly(proxy, blobStore);
        LOG.debug("Embedded S3 at {} stopped", endpoint);
    }

    private static void stopQuietly(S3Proxy proxy, BlobStore store) {
        try {
            proxy.stop();
        } catch (Exception e) {
            LOG.warn("Embedded S3 did not stop cleanly", e);
        } finally {
            store.close();
        }
    }

    @Override
    public String toString() {
        return "EmbeddedS3[" + endpoint + ", bucket=" + bucket + ", dir=" + dataDir + "]";
    }
}
