package io.prefetchd.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class S3SettingsTest {

    @Test
    void of_usesDocumentedDefaults() {
        S3Settings settings = S3Settings.of(URI.create("http://127.0.0.1:9000"), null, "data", true);

        assertEquals(128, settings.maxConcurrency());
        assertEquals(4, settings.maxAttempts());
        assertEquals(Duration.ofSeconds(30), settings.apiCallTimeout());
        assertEquals(Duration.ofMillis(7500), settings.attemptTimeout());
        assertEquals(128 * 16, settings.maxQueuedRequests());
        assertEquals(UploadSettings.defaults(), settings.uploads());
    }

    @Test
    void withUploads_replacesOnlyTheUploadSettings() {
        S3Settings settings = S3Settings.aws("b").withMaxAttempts(2);
        UploadSettings uploads = UploadSettings.defaults().withConcurrency(3);

        S3Settings changed = settings.withUploads(uploads);

        assertEquals(uploads, changed.uploads());
        assertEquals(2, changed.maxAttempts());
        assertEquals(3, changed.withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)).uploads().concurrency());
    }

    @Test
    void effectiveRegion_isUsEast1ForACustomEndpointAndTheSdkChainForAws() {
        assertEquals("us-east-1", S3Settings.of(URI.create("http://minio:9000"), null, "data", true).effectiveRegion());
        assertEquals("eu-west-1", S3Settings.of(URI.create("http://minio:9000"), "eu-west-1", "data", true).effectiveRegion());
        assertNull(S3Settings.aws("data").effectiveRegion());
        assertEquals("eu-west-1", S3Settings.of(null, "eu-west-1", "data", false).effectiveRegion());
    }

    @Test
    void attemptTimeout_isAtLeastOneSecondButNeverMoreThanTheCall() {
        assertEquals(Duration.ofSeconds(1), S3Settings.aws("b").withApiCallTimeout(Duration.ofSeconds(2)).attemptTimeout());
        assertEquals(Duration.ofMillis(500), S3Settings.aws("b").withApiCallTimeout(Duration.ofMillis(500)).attemptTimeout());
        assertEquals(Duration.ofSeconds(60), S3Settings.aws("b").withMaxAttempts(1)
                .withApiCallTimeout(Duration.ofSeconds(60)).attemptTimeout());
    }

    @Test
    void constructor_rejectsNonsense() {
        assertThrows(NullPointerException.class, () -> S3Settings.of(null, null, null, false));
        assertThrows(IllegalArgumentException.class, () -> S3Settings.aws(" "));
        assertThrows(IllegalArgumentException.class, () -> S3Settings.aws("b").withMaxConcurrency(0));
        assertThrows(IllegalArgumentException.class, () -> S3Settings.aws("b").withMaxAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> S3Settings.aws("b").withApiCallTimeout(Duration.ZERO));
    }
}
