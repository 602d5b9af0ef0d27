package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Which names S3 keys can hold here. */
class BucketNamespaceTest {
    @Test
    void checkName_ofEmptyDotsSlashOrNul_isBadname() {
        for (String name : new String[] {"", ".", "..", "a/b", "a\0b"}) {
            FsException e = assertThrows(FsException.class, () -> BucketNamespace.checkName(name), name);
            assertEquals(FsError.BADNAME, e.error(), name);
        }
    }

    @Test
    void checkName_isNametoolong_pastTwoHundredFiftyFiveBytesOfUtf8() {
        assertDoesNotThrow(() -> BucketNamespace.checkName("a".repeat(255)));
        assertDoesNotThrow(() -> BucketNamespace.checkName("...hidden"));

        FsException e = assertThrows(FsException.class, () -> BucketNamespace.checkName("é".repeat(128)));
        assertEquals(FsError.NAMETOOLONG, e.error());
    }
}
