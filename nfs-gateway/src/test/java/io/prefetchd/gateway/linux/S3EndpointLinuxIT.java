package io.prefetchd.gateway.linux;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.s3api.S3ApiServer;
import io.prefetchd.gateway.testing.GuestScripts;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One namespace, two doors, judged by the Linux kernel client: objects PUT (and multipart-uploaded) through the
 * gateway's S3 endpoint are read through the NFS mount with the same bytes, and a file written through the mount is
 * downloaded through the endpoint with the same bytes. One guest run.
 */
class S3EndpointLinuxIT {
    private static final String BUCKET = "s3-endpoint-it";
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static S3ProxyFixture s3;
    private static ApplicationContext daemon;
    private static S3Client client;
    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
        s3 = S3ProxyFixture.startOnDisk(Files.createDirectories(work.resolve("s3")));
        s3.createBucket(BUCKET);
        Map<String, Object> p = s3.writableDaemonProperties(BUCKET, work.resolve("state"));
        p.put("prefetchd.s3-api.port", 0);
        p.put("prefetchd.s3-api.bind", "127.0.0.1");
        p.put("prefetchd.s3-api.access-key", "AK");
        p.put("prefetchd.s3-api.secret-key", "SK-secret");
        daemon = Daemon.start(p);
        client = S3Client.builder().endpointOverride(daemon.getBean(S3ApiServer.class).endpoint()).forcePathStyle(true)
                .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("AK", "SK-secret"))).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (daemon != null) {
            daemon.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void putThroughTheEndpoint_readThroughTheMount_andTheOtherWayRound() throws Exception {
        byte[] model = bytes(1, (3 << 20) + 4321);
        client.putObject(b -> b.bucket(BUCKET).key("s3put/model.bin"), RequestBody.fromBytes(model));
        byte[] p1 = bytes(2, 5 << 20);
        byte[] p2 = bytes(3, 100_000);
        String id = client.createMultipartUpload(b -> b.bucket(BUCKET).key("s3put/multipart.bin")).uploadId();
        String e1 = client.uploadPart(b -> b.bucket(BUCKET).key("s3put/multipart.bin").uploadId(id).partNumber(1),
                RequestBody.fromBytes(p1)).eTag();
        String e2 = client.uploadPart(b -> b.bucket(BUCKET).key("s3put/multipart.bin").uploadId(id).partNumber(2),
                RequestBody.fromBytes(p2)).eTag();
        client.completeMultipartUpload(b -> b.bucket(BUCKET).key("s3put/multipart.bin").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(e1).build(),
                        CompletedPart.builder().partNumber(2).eTag(e2).build())));

        Path dir = Files.createTempDirectory(work, "guest");
        Path out = Files.createDirectories(dir.resolve("out")).toAbsolutePath();
        Path script = GuestScripts.writeScript("s3_endpoint_workload.sh", dir.resolve("scripts"));
        VM.run(VmNfsClient.Options.mount(daemon.getBean(Gateway.class).nfsPort()).vers("4.1").share(out)
                .timeout(Duration.ofMinutes(4)), "sh", script.toString(), out.toString()).assertSuccess();

        for (String step : new String[] {"s3put", "s3multi", "nfsput"}) {
            assertEquals("0", read(out, step + ".rc"), step + ": " + read(out, step + ".err"));
        }
        assertEquals(md5(model), read(out, "s3put.md5"), "the PUT object read through the mount");
        byte[] whole = new byte[p1.length + p2.length];
        System.arraycopy(p1, 0, whole, 0, p1.length);
        System.arraycopy(p2, 0, whole, p1.length, p2.length);
        assertEquals(md5(whole), read(out, "s3multi.md5"), "the multipart object read through the mount");
        assertEquals(Integer.toString(whole.length), read(out, "s3multi.size"));
        assertEquals("model.bin\nmultipart.bin", read(out, "s3put.ls"));
        byte[] written = client.getObjectAsBytes(b -> b.bucket(BUCKET).key("nfsput/data.bin")).asByteArray();
        assertEquals(read(out, "nfsput.md5"), md5(written), "the file written through the mount, downloaded");
    }

    private static byte[] bytes(int seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    private static String read(Path out, String name) throws Exception {
        Path p = out.resolve(name);
        return Files.exists(p) ? Files.readString(p).trim() : "";
    }
}
