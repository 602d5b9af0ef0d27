package io.prefetchd.gateway.nfs;

import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class FsErrorsTest {

    @Test
    void status_everyFileSystemError_isItsNfs4Namesake() {
        for (FsError error : FsError.values()) {
            assertEquals(NfsStatus.valueOf("NFS4ERR_" + error.name()), FsErrors.status(error));
        }
    }

    @Test
    void toNfs_keepsMessageAndCause() {
        FsException fs = new FsException(FsError.NOSPC, "staging is full");

        NfsException nfs = FsErrors.toNfs(fs);

        assertEquals(NfsStatus.NFS4ERR_NOSPC, nfs.status());
        assertEquals("staging is full", nfs.getMessage());
        assertSame(fs, nfs.getCause());
    }
}
