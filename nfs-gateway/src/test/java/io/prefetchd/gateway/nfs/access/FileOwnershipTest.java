package io.prefetchd.gateway.nfs.access;

import io.prefetchd.gateway.fs.Owner;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;
import static org.junit.jupiter.api.Assertions.*;

class FileOwnershipTest {
    private static final FileOwnership OWNED = new FileOwnership(1000, 100, 0640, 0750);

    private static Identity user(int uid, int gid, Integer... groups) {
        return new Identity(uid, gid, List.of(groups));
    }

    @Test
    void owner_getsOwnerBits() {
        assertEquals(ACCESS4_READ, OWNED.accessBits(user(1000, 1000), false, false));
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP, OWNED.accessBits(user(1000, 1000), true, false));
    }

    @Test
    void aNameWithItsOwnOwner_isJudgedByIt_notByTheExportsDefaults() {
        Owner own = new Owner(3000, 300, 0750);
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_DELETE,
                OWNED.accessBits(user(3000, 3000), true, own, true));
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP, OWNED.accessBits(user(4000, 300), true, own, true));
        assertEquals(0, OWNED.accessBits(user(1000, 100), true, own, true), "the export's owner is nobody here");
        assertEquals(ACCESS4_READ | ACCESS4_EXECUTE, OWNED.accessBits(user(3000, 3000), false, own, false),
                "no write bits when writes are not allowed");
    }

    @Test
    void aDirectoryWritableWithoutSearch_grantsNoEntryChanges() {
        Owner own = new Owner(3000, 300, 0600);
        assertEquals(ACCESS4_READ, OWNED.accessBits(user(3000, 3000), true, own, true));
    }

    @Test
    void groupMember_byPrimaryOrSupplementaryGid_getsGroupBits() {
        assertEquals(ACCESS4_READ, OWNED.accessBits(user(2000, 100), false, false));
        assertEquals(ACCESS4_READ, OWNED.accessBits(user(2000, 2000, 7, 100), false, false));
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP, OWNED.accessBits(user(2000, 2000, 100), true, false));
    }

    @Test
    void other_getsOtherBits_hereNothing() {
        assertEquals(0, OWNED.accessBits(user(2000, 2000), false, false));
        assertEquals(0, OWNED.accessBits(user(2000, 2000), true, false));
    }

    @Test
    void root_readsAndLooksUpEverything_executesOnlyWhatAnyoneMay() {
        FileOwnership locked = new FileOwnership(1000, 100, 0, 0);
        assertEquals(ACCESS4_READ, locked.accessBits(user(0, 0), false, false));
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP, locked.accessBits(user(0, 0), true, false));
        assertEquals(ACCESS4_READ | ACCESS4_EXECUTE,
                new FileOwnership(1000, 100, 0100, 0).accessBits(user(0, 0), false, false));
    }

    @Test
    void writeBits_onlyWhenWritable_evenWithAWritableMode() {
        FileOwnership rw = new FileOwnership(1000, 100, 0644, 0755);
        assertEquals(ACCESS4_READ, rw.accessBits(user(1000, 100), false, false));
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP, rw.accessBits(user(1000, 100), true, false));
        assertEquals(ACCESS4_READ | ACCESS4_MODIFY | ACCESS4_EXTEND, rw.accessBits(user(1000, 100), false, true));
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_DELETE,
                rw.accessBits(user(1000, 100), true, true));
        assertEquals(ACCESS4_READ, rw.accessBits(user(2000, 2000), false, true), "others have no w bit");
    }

    @Test
    void defaults_everyoneReads_noOneWrites() {
        assertEquals(ACCESS4_READ, FileOwnership.DEFAULT.accessBits(user(65534, 65534), false, false));
        assertEquals(ACCESS4_READ | ACCESS4_LOOKUP, FileOwnership.DEFAULT.accessBits(user(65534, 65534), true, false));
    }

    @Test
    void modesBeyondPermissionBits_rejected() {
        assertThrows(IllegalArgumentException.class, () -> new FileOwnership(0, 0, 04755, 0755));
        assertThrows(IllegalArgumentException.class, () -> new FileOwnership(-1, 0, 0644, 0755));
    }
}
