package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Checks on a component4 name shared by LOOKUP, OPEN and SECINFO (RFC 8881 sections 14.2 and 18.15.3): empty
 * or not UTF-8 is NFS4ERR_INVAL, longer than maxname is NFS4ERR_NAMETOOLONG, "." and ".." and names holding '/'
 * or NUL are NFS4ERR_BADNAME.
 */
final class Names {
    private Names() {
    }

    /** The name as {@link #check} gives it, or null where {@link #check} throws. */
    static @Nullable String validOrNull(byte[] name) {
        try {
            return check(name);
        } catch (NfsException e) {
            return null;
        }
    }

    static String check(byte[] name) throws NfsException {
        if (name.length == 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "empty name");
        }
        if (name.length > AttributeEncoder.MAX_NAME) {
            throw new NfsException(NfsStatus.NFS4ERR_NAMETOOLONG,
                    "name of " + name.length + " bytes, longer than " + AttributeEncoder.MAX_NAME);
        }
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(name)).toString();
        } catch (CharacterCodingException e) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "name is not valid UTF-8");
        }
        if (s.equals(".") || s.equals("..") || s.indexOf('/') >= 0 || s.indexOf('\0') >= 0) {
            throw new NfsException(NfsStatus.NFS4ERR_BADNAME, "invalid name '" + s + "'");
        }
        return s;
    }
}
