package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import java.nio.charset.StandardCharsets;

/** Checks on a component4 name shared by LOOKUP, OPEN and SECINFO (RFC 8881 section 14.2). */
final class Names {
    private Names() {
    }

    static String check(String name) throws NfsException {
        if (name.isEmpty()) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "empty name");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > AttributeEncoder.MAX_NAME) {
            throw new NfsException(NfsStatus.NFS4ERR_NAMETOOLONG, "name longer than 255 bytes");
        }
        if (name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new NfsException(NfsStatus.NFS4ERR_BADNAME, "invalid name '" + name + "'");
        }
        return name;
    }
}
