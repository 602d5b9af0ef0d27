package io.prefetchd.gateway.s3api;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** The S3 contract against the emulated backend itself: S3Proxy over a local folder, the reference. */
class EmulatedS3EndpointIT extends S3EndpointContract {
    private S3Proxy proxy;
    private Path dir;

    @Override
    URI start() throws Exception {
        dir = Files.createTempDirectory("s3-contract");
        proxy = S3Proxy.builder().blobStore(new FilesystemNio2BlobStore(dir.toString()))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .endpoint(URI.create("http://127.0.0.1:0")).build();
        proxy.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"STARTED".equals(proxy.getState()) && Instant.now().isBefore(deadline)) {
            Thread.sleep(10);   // Jetty starts on its own thread
        }
        URI endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        try (S3Client admin = client(endpoint, SECRET_KEY)) {
            admin.createBucket(b -> b.bucket(BUCKET));
            for (Map.Entry<String, byte[]> e : OBJECTS.entrySet()) {
                admin.putObject(b -> b.bucket(BUCKET).key(e.getKey()), RequestBody.fromBytes(e.getValue()));
            }
        }
        return endpoint;
    }

    @Override
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
