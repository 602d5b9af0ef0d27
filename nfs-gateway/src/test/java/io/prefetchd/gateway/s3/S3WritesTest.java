package io.prefetchd.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.CompletedPart;

class S3WritesTest {

    @Test
    void compositeEtag_isMd5OfPartMd5sAndPartCount() {
        List<CompletedPart> parts = List.of(
                CompletedPart.builder().partNumber(1).eTag("\"3303e12af474ca11d85ed2966a932992\"").build(),
                CompletedPart.builder().partNumber(2).eTag("3ea4e15b91a17dc76052c56cfcdf67a2").build());

        assertEquals("0732917abc3288784e318ac0aab1757a-2", S3Writes.compositeEtag(parts));
    }

    @Test
    void compositeEtag_partEtagThatIsNoMd5_isNull() {
        List<CompletedPart> parts = List.of(CompletedPart.builder().partNumber(1).eTag("\"kms-opaque\"").build());

        assertNull(S3Writes.compositeEtag(parts));
    }
}
