package io.prefetchd.gateway.s3api;

import io.micrometer.core.instrument.MeterRegistry;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

import static java.util.Objects.requireNonNull;

/**
 * The S3-compatible endpoint: S3Proxy's HTTP front end (routing, SigV4/SigV2 in headers and presigned URLs,
 * aws-chunked payloads, flexible checksums, XML, error documents) over {@link GatewayBlobStore}, serving the export
 * as bucket {@code bucket}, read-write where the file system takes writes and the client's export rule lets it.
 * Started with the gateway, closed before it.
 */
public final class S3ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(S3ApiServer.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final S3Proxy proxy;
    private final String bucket;
    private final String host;
    private final boolean writable;

    private S3ApiServer(S3Proxy proxy, String bucket, String host, boolean writable) {
        this.proxy = proxy;
        this.bucket = bucket;
        this.host = host;
        this.writable = writable;
    }

    /**
     * Listens as {@code settings} say.
     *
     * @param bucket the bucket name clients use (the backend bucket's)
     * @param fs the export; the endpoint takes writes when it does ({@link VirtualFileSystem#writable})
     * @param observer told of every part of every GET, as of NFS READs
     * @param folderOwner the owner of folders S3 clients make (a PUT of {@code name/}) without naming one
     * @param writes whether a client at an address may write (its export rule is {@code rw})
     * @throws IllegalStateException when the port cannot be bound
     */
    public static S3ApiServer start(S3ApiSettings settings, String bucket, VirtualFileSystem fs,
                                    ReadObserver observer, Owner folderOwner, Predicate<InetAddress> writes,
                                    MeterRegistry registry, Clock clock) {
        requireNonNull(settings, "settings is null");
        requireNonNull(writes, "writes is null");
        ClientAddress clients = new ClientAddress();
        GatewayBlobStore store = new GatewayBlobStore(bucket, fs, observer, settings.partSize(), clock,
                settings.spoolDir(), folderOwner, () -> clients.current().map(writes::test).orElse(false),
                new S3ApiMetrics(requireNonNull(registry, "registry is null")));
        String host = settings.bind().contains(":") ? "[" + settings.bind() + "]" : settings.bind();
        S3Proxy.Builder b = S3Proxy.builder()
                .blobStore(store)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, settings.accessKey(), settings.secretKey())
                .endpoint(URI.create("http://" + host + ":" + settings.port()));
        if (!settings.virtualHost().isBlank()) {
            b.virtualHost(settings.virtualHost());
        }
        S3Proxy proxy = b.build();
        clients.install(proxy);
        try {
            proxy.start();
            Instant deadline = Instant.now().plus(START_TIMEOUT);
            while (!"STARTED".equals(proxy.getState())) {
                if ("FAILED".equals(proxy.getState()) || Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the S3 endpoint did not start: " + proxy.getState());
                }
                Thread.sleep(10);   // Jetty starts on its own thread; nothing of ours to wait on
            }
        } catch (Exception e) {
            try {
                proxy.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot listen for S3 on " + host + ":" + settings.port() + ": "
                    + e.getMessage(), e);
        }
        S3ApiServer server = new S3ApiServer(proxy, bucket, host, fs.writable());
        LOG.info("serving the export as S3 bucket {} ({}) on {}:{}", bucket, server.access(), host, proxy.getPort());
        return server;
    }

    /** The bound port. */
    public int port() {
        return proxy.getPort();
    }

    public String bucket() {
        return bucket;
    }

    /** Who may write through the endpoint, in words: as through the mount, or nobody when the export is read-only. */
    public String access() {
        return writable ? "read-write where the client's export rule is rw" : "read-only";
    }

    /** {@code http://host:port} on the bound address. */
    public URI endpoint() {
        return URI.create("http://" + host + ":" + port());
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the S3 endpoint", e);
        }
    }
}
