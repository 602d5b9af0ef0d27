package io.prefetchd.gateway.nfs.v4;

import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.Nfs4;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.XdrException;
import io.prefetchd.gateway.nfs.xdr.XdrReader;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Decodes the fattr4 a client asks to set (SETATTR, the createattrs of OPEN and CREATE) into {@link NewAttributes}.
 * The attributes that can be set are size, mode, owner, owner_group, time_access_set and time_modify_set (RFC 8881
 * section 5.6); "set to server time" becomes the injected clock's instant.
 *
 * <p>Errors, as RFC 8881 section 18.30.3 lists them: an attribute the server does not support is
 * NFS4ERR_ATTRNOTSUPP, a supported one that cannot be set (type, change, ...) NFS4ERR_INVAL, values that do not
 * match the bitmap NFS4ERR_BADXDR, an owner that is neither a number nor {@code number@domain} NFS4ERR_BADOWNER,
 * a mode outside 07777 or nanoseconds of a billion or more NFS4ERR_INVAL. Stateless.
 */
public final class AttributeDecoder {
    /** The attributes a client can set. */
    public static final int[] SETTABLE = AttributeEncoder.bitmap(Attr.SIZE, Attr.MODE, Attr.OWNER, Attr.OWNER_GROUP,
            Attr.TIME_ACCESS_SET, Attr.TIME_MODIFY_SET);

    private AttributeDecoder() {
    }

    /**
     * What was asked: the values, the bitmap of the attributes they set (the reply's attrsset), and whether a time
     * is set to a value the client chose (which, unlike the server's time, only the owner may set).
     */
    public record Decoded(NewAttributes attributes, int[] mask, boolean clientTime) {
        public static final Decoded NOTHING = new Decoded(NewAttributes.NONE, new int[0], false);
    }

    /**
     * @param supported the server's supported_attrs for the caller's minor version
     * @param now       what "set to server time" means
     */
    public static Decoded decode(int[] supported, Args.Fattr fattr, Instant now) throws NfsException {
        int[] mask = fattr.mask();
        for (int attr = 0; attr < mask.length * 32; attr++) {
            if (!AttributeEncoder.isSet(mask, attr)) {
                continue;
            }
            if (!AttributeEncoder.isSet(supported, attr)) {
                throw new NfsException(NfsStatus.NFS4ERR_ATTRNOTSUPP, "attribute " + attr + " is not supported");
            }
            if (!AttributeEncoder.isSet(SETTABLE, attr)) {
                throw new NfsException(NfsStatus.NFS4ERR_INVAL, "attribute " + attr + " cannot be set");
            }
        }
        XdrReader r = new XdrReader(fattr.values());
        OptionalLong size = OptionalLong.empty();
        Optional<Integer> mode = Optional.empty();
        Optional<Integer> uid = Optional.empty();
        Optional<Integer> gid = Optional.empty();
        Optional<Instant> atime = Optional.empty();
        Optional<Instant> mtime = Optional.empty();
        boolean[] clientTime = new boolean[1];
        try {
            if (AttributeEncoder.isSet(mask, Attr.SIZE)) {
                long s = r.readLong();
                if (s < 0) {
                    throw new NfsException(NfsStatus.NFS4ERR_FBIG, "size beyond 2^63 - 1");
                }
                size = OptionalLong.of(s);
            }
            if (AttributeEncoder.isSet(mask, Attr.MODE)) {
                int m = r.readInt();
                if ((m & ~07777) != 0) {
                    throw new NfsException(NfsStatus.NFS4ERR_INVAL, "mode 0" + Integer.toOctalString(m)
                            + " has bits beyond 07777");
                }
                mode = Optional.of(m);
            }
            if (AttributeEncoder.isSet(mask, Attr.OWNER)) {
                uid = Optional.of(id(r.readOpaque(Nfs4.OPAQUE_LIMIT), "owner"));
            }
            if (AttributeEncoder.isSet(mask, Attr.OWNER_GROUP)) {
                gid = Optional.of(id(r.readOpaque(Nfs4.OPAQUE_LIMIT), "owner_group"));
            }
            if (AttributeEncoder.isSet(mask, Attr.TIME_ACCESS_SET)) {
                atime = Optional.of(time(r, now, clientTime));
            }
            if (AttributeEncoder.isSet(mask, Attr.TIME_MODIFY_SET)) {
                mtime = Optional.of(time(r, now, clientTime));
            }
        } catch (XdrException e) {
            throw new NfsException(NfsStatus.NFS4ERR_BADXDR, "attribute values: " + e.getMessage());
        }
        if (r.remaining() != 0) {
            throw new NfsException(NfsStatus.NFS4ERR_BADXDR, r.remaining() + " bytes of attribute values left over");
        }
        return new Decoded(new NewAttributes(size, mode, uid, gid, atime, mtime), setMask(mask), clientTime[0]);
    }

    /** The settable attributes of {@code mask}, trimmed to the words that hold one. */
    private static int[] setMask(int[] mask) {
        int words = 0;
        int[] out = new int[SETTABLE.length];
        for (int i = 0; i < SETTABLE.length && i < mask.length; i++) {
            out[i] = mask[i] & SETTABLE[i];
            if (out[i] != 0) {
                words = i + 1;
            }
        }
        return java.util.Arrays.copyOf(out, words);
    }

    /**
     * A uid or gid from an owner string: the number itself, as GETATTR shows owners and as a Linux client without
     * id mapping sends them, or {@code number@domain}. Names cannot be mapped: the gateway has no user database.
     */
    private static int id(byte[] utf8, String what) throws NfsException {
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new NfsException(NfsStatus.NFS4ERR_BADCHAR, what + " is not UTF-8");
        }
        int at = s.indexOf('@');
        String number = at < 0 ? s : s.substring(0, at);
        if (!number.isEmpty() && number.length() <= 10 && number.chars().allMatch(c -> c >= '0' && c <= '9')) {
            long id = Long.parseLong(number);
            if (id <= Integer.MAX_VALUE) {
                return (int) id;
            }
        }
        throw new NfsException(NfsStatus.NFS4ERR_BADOWNER, what + " '" + s + "' is not a numeric id");
    }

    private static Instant time(XdrReader r, Instant now, boolean[] clientTime) throws XdrException, NfsException {
        int how = r.readInt();
        if (how == Nfs4.SET_TO_SERVER_TIME4) {
            return now;
        }
        clientTime[0] = true;
        if (how != Nfs4.SET_TO_CLIENT_TIME4) {
            throw new NfsException(NfsStatus.NFS4ERR_BADXDR, "time_how4 " + how);
        }
        long seconds = r.readLong();
        long nanos = Integer.toUnsignedLong(r.readInt());
        if (nanos >= 1_000_000_000L) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "nseconds " + nanos + " is a billion or more");
        }
        try {
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (java.time.DateTimeException e) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "time " + seconds + " s is out of range");
        }
    }
}
