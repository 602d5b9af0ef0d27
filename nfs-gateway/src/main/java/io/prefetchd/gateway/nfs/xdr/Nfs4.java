package io.prefetchd.gateway.nfs.xdr;

/** Protocol constants of NFSv4.0 (RFC 7530) and NFSv4.1 (RFC 8881, XDR in RFC 5662). No logic. */
public final class Nfs4 {
    private Nfs4() {
    }

    public static final int PROGRAM = 100003;
    public static final int VERSION = 4;
    public static final int PROC_NULL = 0;
    public static final int PROC_COMPOUND = 1;

    public static final int FHSIZE = 128;
    public static final int OPAQUE_LIMIT = 1024;
    public static final int VERIFIER_SIZE = 8;
    public static final int SESSIONID_SIZE = 16;
    public static final int STATEID_OTHER_SIZE = 12;

    // nfs_opnum4
    public static final int OP_ACCESS = 3;
    public static final int OP_CLOSE = 4;
    public static final int OP_COMMIT = 5;
    public static final int OP_CREATE = 6;
    public static final int OP_DELEGPURGE = 7;
    public static final int OP_DELEGRETURN = 8;
    public static final int OP_GETATTR = 9;
    public static final int OP_GETFH = 10;
    public static final int OP_LINK = 11;
    public static final int OP_LOCK = 12;
    public static final int OP_LOCKT = 13;
    public static final int OP_LOCKU = 14;
    public static final int OP_LOOKUP = 15;
    public static final int OP_LOOKUPP = 16;
    public static final int OP_NVERIFY = 17;
    public static final int OP_OPEN = 18;
    public static final int OP_OPENATTR = 19;
    public static final int OP_OPEN_CONFIRM = 20;
    public static final int OP_OPEN_DOWNGRADE = 21;
    public static final int OP_PUTFH = 22;
    public static final int OP_PUTPUBFH = 23;
    public static final int OP_PUTROOTFH = 24;
    public static final int OP_READ = 25;
    public static final int OP_READDIR = 26;
    public static final int OP_READLINK = 27;
    public static final int OP_REMOVE = 28;
    public static final int OP_RENAME = 29;
    public static final int OP_RENEW = 30;
    public static final int OP_RESTOREFH = 31;
    public static final int OP_SAVEFH = 32;
    public static final int OP_SECINFO = 33;
    public static final int OP_SETATTR = 34;
    public static final int OP_SETCLIENTID = 35;
    public static final int OP_SETCLIENTID_CONFIRM = 36;
    public static final int OP_VERIFY = 37;
    public static final int OP_WRITE = 38;
    public static final int OP_RELEASE_LOCKOWNER = 39;
    public static final int OP_BACKCHANNEL_CTL = 40;
    public static final int OP_BIND_CONN_TO_SESSION = 41;
    public static final int OP_EXCHANGE_ID = 42;
    public static final int OP_CREATE_SESSION = 43;
    public static final int OP_DESTROY_SESSION = 44;
    public static final int OP_FREE_STATEID = 45;
    public static final int OP_GET_DIR_DELEGATION = 46;
    public static final int OP_GETDEVICEINFO = 47;
    public static final int OP_GETDEVICELIST = 48;
    public static final int OP_LAYOUTCOMMIT = 49;
    public static final int OP_LAYOUTGET = 50;
    public static final int OP_LAYOUTRETURN = 51;
    public static final int OP_SECINFO_NO_NAME = 52;
    public static final int OP_SEQUENCE = 53;
    public static final int OP_SET_SSV = 54;
    public static final int OP_TEST_STATEID = 55;
    public static final int OP_WANT_DELEGATION = 56;
    public static final int OP_DESTROY_CLIENTID = 57;
    public static final int OP_RECLAIM_COMPLETE = 58;
    public static final int OP_ILLEGAL = 10044;

    /** Highest opcode of minor version 0 and 1. */
    public static final int LAST_OP_V40 = OP_RELEASE_LOCKOWNER;
    public static final int LAST_OP_V41 = OP_RECLAIM_COMPLETE;

    // nfs_ftype4
    public static final int NF4REG = 1;
    public static final int NF4DIR = 2;
    public static final int NF4BLK = 3;
    public static final int NF4CHR = 4;
    public static final int NF4LNK = 5;
    public static final int NF4SOCK = 6;
    public static final int NF4FIFO = 7;
    public static final int NF4ATTRDIR = 8;
    public static final int NF4NAMEDATTR = 9;
    // WRITE: stable_how4
    public static final int UNSTABLE4 = 0;
    public static final int DATA_SYNC4 = 1;
    public static final int FILE_SYNC4 = 2;
    // settime4: time_how4
    public static final int SET_TO_SERVER_TIME4 = 0;
    public static final int SET_TO_CLIENT_TIME4 = 1;

    // ACCESS bits
    public static final int ACCESS4_READ = 0x01;
    public static final int ACCESS4_LOOKUP = 0x02;
    public static final int ACCESS4_MODIFY = 0x04;
    public static final int ACCESS4_EXTEND = 0x08;
    public static final int ACCESS4_DELETE = 0x10;
    public static final int ACCESS4_EXECUTE = 0x20;

    // OPEN
    public static final int OPEN4_NOCREATE = 0;
    public static final int OPEN4_CREATE = 1;
    public static final int UNCHECKED4 = 0;
    public static final int GUARDED4 = 1;
    public static final int EXCLUSIVE4 = 2;
    public static final int EXCLUSIVE4_1 = 3;
    public static final int CLAIM_NULL = 0;
    public static final int CLAIM_PREVIOUS = 1;
    public static final int CLAIM_DELEGATE_CUR = 2;
    public static final int CLAIM_DELEGATE_PREV = 3;
    public static final int CLAIM_FH = 4;
    public static final int CLAIM_DELEG_PREV_FH = 5;
    public static final int CLAIM_DELEG_CUR_FH = 6;
    public static final int OPEN4_SHARE_ACCESS_READ = 1;
    public static final int OPEN4_SHARE_ACCESS_WRITE = 2;
    public static final int OPEN4_SHARE_ACCESS_BOTH = 3;
    public static final int OPEN4_SHARE_ACCESS_MASK = 0xff;
    public static final int OPEN4_SHARE_DENY_NONE = 0;
    public static final int OPEN4_SHARE_DENY_READ = 1;
    public static final int OPEN4_SHARE_DENY_WRITE = 2;
    public static final int OPEN4_SHARE_DENY_BOTH = 3;
    public static final int OPEN4_RESULT_CONFIRM = 0x2;
    public static final int OPEN4_RESULT_LOCKTYPE_POSIX = 0x4;
    public static final int OPEN_DELEGATE_NONE = 0;

    // LOCK, LOCKT, LOCKU: nfs_lock_type4, and the length that means "to the end of the file"
    public static final int READ_LT = 1;
    public static final int WRITE_LT = 2;
    public static final int READW_LT = 3;
    public static final int WRITEW_LT = 4;
    public static final long NFS4_UINT64_MAX = -1L;

    // EXCHANGE_ID
    public static final int EXCHGID4_FLAG_SUPP_MOVED_REFER = 0x00000001;
    public static final int EXCHGID4_FLAG_SUPP_MOVED_MIGR = 0x00000002;
    public static final int EXCHGID4_FLAG_SUPP_FENCE_OPS = 0x00000004;
    public static final int EXCHGID4_FLAG_BIND_PRINC_STATEID = 0x00000100;
    public static final int EXCHGID4_FLAG_USE_NON_PNFS = 0x00010000;
    public static final int EXCHGID4_FLAG_USE_PNFS_MDS = 0x00020000;
    public static final int EXCHGID4_FLAG_USE_PNFS_DS = 0x00040000;
    public static final int EXCHGID4_FLAG_MASK_PNFS = 0x00070000;
    public static final int EXCHGID4_FLAG_UPD_CONFIRMED_REC_A = 0x40000000;
    public static final int EXCHGID4_FLAG_CONFIRMED_R = 0x80000000;
    public static final int SP4_NONE = 0;
    public static final int SP4_MACH_CRED = 1;
    public static final int SP4_SSV = 2;

    // CREATE_SESSION
    public static final int CREATE_SESSION4_FLAG_PERSIST = 0x1;
    public static final int CREATE_SESSION4_FLAG_CONN_BACK_CHAN = 0x2;
    public static final int CREATE_SESSION4_FLAG_CONN_RDMA = 0x4;

    // BIND_CONN_TO_SESSION
    public static final int CDFC4_FORE = 0x1;
    public static final int CDFC4_BACK = 0x2;
    public static final int CDFC4_FORE_OR_BOTH = 0x3;
    public static final int CDFC4_BACK_OR_BOTH = 0x7;
    public static final int CDFS4_FORE = 0x1;
    public static final int CDFS4_BACK = 0x2;
    public static final int CDFS4_BOTH = 0x3;

    // SECINFO_NO_NAME
    public static final int SECINFO_STYLE4_CURRENT_FH = 0;
    public static final int SECINFO_STYLE4_PARENT = 1;

    // RPC auth flavours
    public static final int AUTH_NONE = 0;
    public static final int AUTH_SYS = 1;
    public static final int RPCSEC_GSS = 6;

    public static final int FH4_PERSISTENT = 0;
}
