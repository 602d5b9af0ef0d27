package io.prefetchd.formats;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** An in-process S3 server (S3Proxy, in-memory store) on a free loopback port, and a client for it. */
final class S3ProxyServer implements AutoCloseable {
    private static final String ID = "formats-test";
    private static final String SECRET = "formats-test-secret";
    private final S3Proxy proxy;
    final S3Client client;

    private S3ProxyServer(S3Proxy proxy, S3Client client) {
        this.proxy = proxy;
        this.client = client;
    }

    static S3ProxyServer start() throws Exception {
        S3Proxy proxy = S3Proxy.builder().blobStore(new TransientNio2BlobStore())
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ID, SECRET)
                .endpoint(URI.create("http://127.0.0.1:0")).build();
        proxy.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"STARTED".equals(proxy.getState())) {
            if (Instant.now().isAfter(deadline)) {
                proxy.stop();
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10); // S3Proxy offers no start callback: waiting for Jetty, not for our code
        }
        S3Client client = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + proxy.getPort()))
                .forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ID, SECRET)))
                .build();
        return new S3ProxyServer(proxy, client);
    }

    /** Creates {@code bucket} holding {@code objects} and returns a source over it. */
    S3RangeSource bucket(String bucket, Map<String, byte[]> objects) {
        client.createBucket(b -> b.bucket(bucket));
        for (Map.Entry<String, byte[]> e : objects.entrySet()) {
            client.putObject(b -> b.bucket(bucket).key(e.getKey()), RequestBody.fromBytes(e.getValue()));
        }
        return new S3RangeSource(client, bucket);
    }

    @Override
    public void close() throws Exception {
        client.close();
        proxy.stop();
    }
}
