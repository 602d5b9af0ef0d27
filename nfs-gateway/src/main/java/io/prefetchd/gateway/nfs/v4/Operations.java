package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.nfs.v4.ops.*;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import org.jspecify.annotations.Nullable;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;

/**
 * Which operations exist in which minor version, which class executes each, and the fixed answer for the rest
 * (RFC 8881 section 15.2 and section 18; RFC 7530 section 15.2).
 */
final class Operations {
    private Operations() {
    }

    private static final NfsOperation<?>[] TABLE = new NfsOperation<?>[LAST_OP_V41 + 1];

    static {
        TABLE[OP_ACCESS] = new OpAccess();
        TABLE[OP_CLOSE] = new OpClose();
        TABLE[OP_COMMIT] = new OpCommit();
        TABLE[OP_CREATE] = new OpCreate();
        TABLE[OP_GETATTR] = new OpGetattr();
        TABLE[OP_GETFH] = new OpGetfh();
        TABLE[OP_LINK] = new OpLink();
        TABLE[OP_LOCK] = new OpLock();
        TABLE[OP_LOCKT] = new OpLockt();
        TABLE[OP_LOCKU] = new OpLocku();
        TABLE[OP_LOOKUP] = new OpLookup();
        TABLE[OP_LOOKUPP] = new OpLookupp();
        TABLE[OP_NVERIFY] = new OpVerify(true);
        TABLE[OP_OPEN] = new OpOpen();
        TABLE[OP_OPEN_CONFIRM] = new OpOpenConfirm();
        TABLE[OP_OPEN_DOWNGRADE] = new OpOpenDowngrade();
        TABLE[OP_PUTFH] = new OpPutfh();
        TABLE[OP_PUTPUBFH] = new OpPutrootfh();
        TABLE[OP_PUTROOTFH] = new OpPutrootfh();
        TABLE[OP_READ] = new OpRead();
        TABLE[OP_READDIR] = new OpReaddir();
        TABLE[OP_READLINK] = new OpReadlink();
        TABLE[OP_RELEASE_LOCKOWNER] = new OpReleaseLockowner();
        TABLE[OP_REMOVE] = new OpRemove();
        TABLE[OP_RENAME] = new OpRename();
        TABLE[OP_RENEW] = new OpRenew();
        TABLE[OP_RESTOREFH] = new OpRestorefh();
        TABLE[OP_SAVEFH] = new OpSavefh();
        TABLE[OP_SECINFO] = new OpSecinfo();
        TABLE[OP_SETATTR] = new OpSetattr();
        TABLE[OP_SETCLIENTID] = new OpSetclientid();
        TABLE[OP_SETCLIENTID_CONFIRM] = new OpSetclientidConfirm();
        TABLE[OP_VERIFY] = new OpVerify(false);
        TABLE[OP_WRITE] = new OpWrite();
        TABLE[OP_BIND_CONN_TO_SESSION] = new OpBindConnToSession();
        TABLE[OP_EXCHANGE_ID] = new OpExchangeId();
        TABLE[OP_CREATE_SESSION] = new OpCreateSession();
        TABLE[OP_DESTROY_SESSION] = new OpDestroySession();
        TABLE[OP_FREE_STATEID] = new OpFreeStateid();
        TABLE[OP_SECINFO_NO_NAME] = new OpSecinfoNoName();
        TABLE[OP_SEQUENCE] = new OpSequence();
        TABLE[OP_TEST_STATEID] = new OpTestStateid();
        TABLE[OP_DESTROY_CLIENTID] = new OpDestroyClientid();
        TABLE[OP_RECLAIM_COMPLETE] = new OpReclaimComplete();
    }

    /**
     * The status an operation gets without being executed (and without decoding its arguments, since nothing
     * after it runs), or null when it is executed.
     */
    static @Nullable NfsStatus fixedStatus(int opcode, int minorVersion) {
        int last = minorVersion == 0 ? LAST_OP_V40 : LAST_OP_V41;
        if (opcode < OP_ACCESS || opcode > last) {
            return NfsStatus.NFS4ERR_OP_ILLEGAL;
        }
        if (minorVersion >= 1 && (opcode == OP_SETCLIENTID || opcode == OP_SETCLIENTID_CONFIRM
                || opcode == OP_RENEW || opcode == OP_OPEN_CONFIRM || opcode == OP_RELEASE_LOCKOWNER)) {
            return NfsStatus.NFS4ERR_NOTSUPP;   // RFC 8881 section 18: obsolete in 4.1
        }
        return TABLE[opcode] == null ? NfsStatus.NFS4ERR_NOTSUPP : null;
    }

    @SuppressWarnings("unchecked")
    static NfsOperation<Object> operation(int opcode) {
        return (NfsOperation<Object>) TABLE[opcode];
    }

    static boolean mayStartWithoutSequence(int opcode) {
        return opcode == OP_EXCHANGE_ID || opcode == OP_CREATE_SESSION || opcode == OP_DESTROY_SESSION
                || opcode == OP_BIND_CONN_TO_SESSION || opcode == OP_DESTROY_CLIENTID;
    }

    static String name(int opcode) {
        return switch (opcode) {
            case OP_ACCESS -> "ACCESS";
            case OP_CLOSE -> "CLOSE";
            case OP_COMMIT -> "COMMIT";
            case OP_CREATE -> "CREATE";
            case OP_DELEGPURGE -> "DELEGPURGE";
            case OP_DELEGRETURN -> "DELEGRETURN";
            case OP_GETATTR -> "GETATTR";
            case OP_GETFH -> "GETFH";
            case OP_LINK -> "LINK";
            case OP_LOCK -> "LOCK";
            case OP_LOCKT -> "LOCKT";
            case OP_LOCKU -> "LOCKU";
            case OP_LOOKUP -> "LOOKUP";
            case OP_LOOKUPP -> "LOOKUPP";
            case OP_NVERIFY -> "NVERIFY";
            case OP_OPEN -> "OPEN";
            case OP_OPENATTR -> "OPENATTR";
            case OP_OPEN_CONFIRM -> "OPEN_CONFIRM";
            case OP_OPEN_DOWNGRADE -> "OPEN_DOWNGRADE";
            case OP_PUTFH -> "PUTFH";
            case OP_PUTPUBFH -> "PUTPUBFH";
            case OP_PUTROOTFH -> "PUTROOTFH";
            case OP_READ -> "READ";
            case OP_READDIR -> "READDIR";
            case OP_READLINK -> "READLINK";
            case OP_REMOVE -> "REMOVE";
            case OP_RENAME -> "RENAME";
            case OP_RENEW -> "RENEW";
            case OP_RESTOREFH -> "RESTOREFH";
            case OP_SAVEFH -> "SAVEFH";
            case OP_SECINFO -> "SECINFO";
            case OP_SETATTR -> "SETATTR";
            case OP_SETCLIENTID -> "SETCLIENTID";
            case OP_SETCLIENTID_CONFIRM -> "SETCLIENTID_CONFIRM";
            case OP_VERIFY -> "VERIFY";
            case OP_WRITE -> "WRITE";
            case OP_RELEASE_LOCKOWNER -> "RELEASE_LOCKOWNER";
            case OP_BACKCHANNEL_CTL -> "BACKCHANNEL_CTL";
            case OP_BIND_CONN_TO_SESSION -> "BIND_CONN_TO_SESSION";
            case OP_EXCHANGE_ID -> "EXCHANGE_ID";
            case OP_CREATE_SESSION -> "CREATE_SESSION";
            case OP_DESTROY_SESSION -> "DESTROY_SESSION";
            case OP_FREE_STATEID -> "FREE_STATEID";
            case OP_GET_DIR_DELEGATION -> "GET_DIR_DELEGATION";
            case OP_GETDEVICEINFO -> "GETDEVICEINFO";
            case OP_GETDEVICELIST -> "GETDEVICELIST";
            case OP_LAYOUTCOMMIT -> "LAYOUTCOMMIT";
            case OP_LAYOUTGET -> "LAYOUTGET";
            case OP_LAYOUTRETURN -> "LAYOUTRETURN";
            case OP_SECINFO_NO_NAME -> "SECINFO_NO_NAME";
            case OP_SEQUENCE -> "SEQUENCE";
            case OP_SET_SSV -> "SET_SSV";
            case OP_TEST_STATEID -> "TEST_STATEID";
            case OP_WANT_DELEGATION -> "WANT_DELEGATION";
            case OP_DESTROY_CLIENTID -> "DESTROY_CLIENTID";
            case OP_RECLAIM_COMPLETE -> "RECLAIM_COMPLETE";
            default -> "ILLEGAL";
        };
    }
}
