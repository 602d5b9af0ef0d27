package io.prefetchd.gateway.nfs.v4.ops;

import io.prefetchd.gateway.fs.CreateHow;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.nfs.NfsException;
import io.prefetchd.gateway.nfs.v4.AttributeDecoder;
import io.prefetchd.gateway.nfs.v4.AttributeEncoder;
import io.prefetchd.gateway.nfs.v4.CompoundContext;
import io.prefetchd.gateway.nfs.v4.Deferred;
import io.prefetchd.gateway.nfs.v4.NfsOperation;
import io.prefetchd.gateway.nfs.v4.state.ClientRecord;
import io.prefetchd.gateway.nfs.v4.state.NfsState;
import io.prefetchd.gateway.nfs.v4.state.OpenOwner;
import io.prefetchd.gateway.nfs.v4.state.OpenState;
import io.prefetchd.gateway.nfs.xdr.Args;
import io.prefetchd.gateway.nfs.xdr.Attr;
import io.prefetchd.gateway.nfs.xdr.NfsStatus;
import io.prefetchd.gateway.nfs.xdr.StateId;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import static java.util.Objects.requireNonNull;

import static io.prefetchd.gateway.nfs.xdr.Nfs4.*;

/**
 * OPEN (RFC 8881 section 18.16, RFC 7530 section 16.16), for reading, writing or both, creating the file when
 * asked.
 *
 * <p><b>Create.</b> UNCHECKED4 creates the file or opens the existing one (of its attributes only a size applies
 * to an existing file: size 0 is how {@code O_CREAT|O_TRUNC} truncates); GUARDED4 answers NFS4ERR_EXIST when the
 * name exists; EXCLUSIVE4 (4.0 and 4.1) and EXCLUSIVE4_1 (4.1, with attributes) create with the client's verifier,
 * and a retransmitted create with the same verifier opens the file it made. The new file is owned by the caller
 * (after squashing) with the mode asked (0644 when none is), and creating needs write and search permission on
 * the directory. The reply's {@code attrset} says which attributes were set and its change_info is the
 * directory's.
 *
 * <p><b>Access.</b> Opening for writing, or creating, on a read-only export is NFS4ERR_ROFS. An existing file
 * needs read (or execute) permission for reading and write permission for writing (NFS4ERR_ACCESS); a file the
 * caller just created is opened whatever its mode, as POSIX {@code open(O_CREAT)} is. An open for reading pins the
 * object version the attributes show at that moment (reads under the stateid never see another version); an open
 * for writing pins nothing. No delegations are handed out and there is no grace period, so CLAIM_PREVIOUS gets
 * NFS4ERR_NO_GRACE.
 *
 * <p><b>Waiting on S3.</b> An OPEN of an existing file whose name or attributes no held listing or HEAD answer
 * knows is {@link Deferred}: the file system asks S3 on a metadata thread, and the OPEN runs, whole, once it knows.
 */
public final class OpOpen implements NfsOperation<Args.Open> {
    /** Mode of a file created without one. */
    static final int DEFAULT_FILE_MODE = 0644;

    @Override
    public Result process(CompoundContext ctx, Args.Open args) throws NfsException, FsException {
        Ready ready = ready(ctx, args);
        Deferred.Continuation rest = () -> {
            NfsState state = ctx.services().state();
            ClientRecord client = ctx.minorVersion() == 0
                    ? state.renew(args.owner().clientid())
                    : requireNonNull(ctx.sessionClient(), "4.1 operations run after SEQUENCE");
            OpenOwner owner = state.openOwner(client, args.owner().owner());
            return SeqidReplies.run(ctx, owner, args.seqid(), () -> open(ctx, args, owner, ready));
        };
        return ready.isDone() ? rest.get() : new Deferred(ready.both(), rest);
    }

    /**
     * What an OPEN of an existing file asks the file system before it answers without waiting on S3: the
     * directory's attributes for the access check and the name (CLAIM_NULL), or the file's attributes (CLAIM_FH).
     * The OPEN runs once both are known; a failure of either is thrown where the OPEN would have met it.
     */
    private record Ready(CompletableFuture<Void> access, CompletableFuture<Void> target) {
        static final Ready NOW = new Ready(VirtualFileSystem.KNOWN, VirtualFileSystem.KNOWN);

        boolean isDone() {
            return access.isDone() && target.isDone();
        }

        CompletableFuture<Void> both() {
            return CompletableFuture.allOf(access, target);
        }
    }

    private static Ready ready(CompoundContext ctx, Args.Open args) {
        if (args.opentype() == OPEN4_CREATE) {
            return Ready.NOW;   // creating writes through the file system's own path
        }
        VirtualFileSystem fs = ctx.services().fs();
        try {
            switch (args.claimType()) {
                case CLAIM_NULL -> {
                    Inode dir = ctx.currentDir();
                    String name = Names.validOrNull(requireNonNull(args.claimName(), "CLAIM_NULL carries a name"));
                    return new Ready(ctx.accessKnown(dir), name == null ? VirtualFileSystem.KNOWN
                            : fs.nameKnown(dir, name));
                }
                case CLAIM_FH -> {
                    Inode fh = ctx.currentFh();
                    return fh.isDirectory() ? Ready.NOW : new Ready(VirtualFileSystem.KNOWN, fs.attributesKnown(fh));
                }
                default -> {
                    return Ready.NOW;
                }
            }
        } catch (NfsException e) {
            return Ready.NOW;   // the OPEN itself answers this error
        }
    }

    /** The file opened, whether this OPEN created it, what it set and the directory's change. */
    private record Target(Inode file, boolean created, int[] attrset, ChangeInfo cinfo) {}

    private SeqidReplies.Reply open(CompoundContext ctx, Args.Open args, OpenOwner owner, Ready ready)
            throws NfsException, FsException {
        NfsState state = ctx.services().state();
        int access = args.shareAccess() & OPEN4_SHARE_ACCESS_MASK;
        int deny = args.shareDeny();
        if (access < OPEN4_SHARE_ACCESS_READ || access > OPEN4_SHARE_ACCESS_BOTH || deny < 0
                || deny > OPEN4_SHARE_DENY_BOTH) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "bad share_access/share_deny");
        }
        boolean create = args.opentype() == OPEN4_CREATE;
        boolean write = (access & OPEN4_SHARE_ACCESS_WRITE) != 0;
        Target target = switch (args.claimType()) {
            case CLAIM_NULL -> {
                Inode dir = ctx.currentDir();
                if (create || write) {
                    ctx.requireWritable();
                }
                Deferred.join(ready.access());
                ctx.checkAccess(dir, ACCESS4_LOOKUP);
                String name = Names.check(requireNonNull(args.claimName(), "CLAIM_NULL carries a name"));
                Deferred.join(ready.target());
                yield create ? create(ctx, args, dir, name)
                        : new Target(ctx.services().fs().lookup(dir, name), false, new int[0], ChangeInfo.NONE);
            }
            case CLAIM_FH -> {
                if (ctx.minorVersion() == 0) {
                    throw new NfsException(NfsStatus.NFS4ERR_INVAL, "CLAIM_FH is NFSv4.1");
                }
                Inode fh = ctx.currentFh();
                if (create) {
                    throw new NfsException(NfsStatus.NFS4ERR_INVAL, "CLAIM_FH names an existing file: no create");
                }
                if (write) {
                    ctx.requireWritable();
                }
                yield new Target(fh, false, new int[0], ChangeInfo.NONE);
            }
            case CLAIM_PREVIOUS -> throw new NfsException(NfsStatus.NFS4ERR_NO_GRACE, "no grace period");
            default -> throw new NfsException(NfsStatus.NFS4ERR_NOTSUPP, "no delegations, claim " + args.claimType());
        };
        Inode file = target.file();
        if (file.isDirectory()) {
            throw new NfsException(NfsStatus.NFS4ERR_ISDIR, file.path() + " is a directory");
        }
        Deferred.join(ready.target());
        FileAttributes version = ctx.services().fs().getattr(file);
        if (!target.created()) {
            if ((access & OPEN4_SHARE_ACCESS_READ) != 0) {
                // exec needs the bytes too, as in POSIX NFS servers
                ctx.checkAccess(file, version, ACCESS4_READ | ACCESS4_EXECUTE);
            }
            if (write) {
                ctx.checkAccess(file, version, ACCESS4_MODIFY);
            }
        }
        OpenState open = state.open(owner, file, version, access, deny);
        StateId stateId = open.stateId();
        // LOCKTYPE_POSIX: byte-range locks follow POSIX rules; without it Linux refuses fcntl locks (ENOLCK)
        int rflags = OPEN4_RESULT_LOCKTYPE_POSIX
                | (ctx.minorVersion() == 0 && !state.ownerConfirmed(owner) ? OPEN4_RESULT_CONFIRM : 0);
        int[] attrset = target.attrset();
        ChangeInfo cinfo = target.cinfo();
        Result body = w -> {
            stateId.encode(w);
            cinfo.encode(w);
            w.writeInt(rflags);
            w.writeIntArray(attrset);
            w.writeInt(OPEN_DELEGATE_NONE);
        };
        return new SeqidReplies.Reply(NfsStatus.NFS4_OK, body, file, stateId);
    }

    /** OPEN4_CREATE by name: the create mode's rules, then the file system's create. */
    private static Target create(CompoundContext ctx, Args.Open args, Inode dir, String name)
            throws NfsException, FsException {
        int mode = args.createMode();
        if (mode == EXCLUSIVE4_1 && ctx.minorVersion() == 0) {
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "EXCLUSIVE4_1 is NFSv4.1");
        }
        AttributeDecoder.Decoded asked = args.createAttrs() == null
                ? AttributeDecoder.Decoded.NOTHING
                : AttributeDecoder.decode(ctx.services().attributes().supported(ctx.minorVersion()),
                        args.createAttrs(), ctx.services().clock().instant());
        if (mode == EXCLUSIVE4_1 && (asked.attributes().atime().isPresent()
                || asked.attributes().mtime().isPresent())) {
            // not in suppattr_exclcreat: the client sets them with a SETATTR after the OPEN
            throw new NfsException(NfsStatus.NFS4ERR_INVAL, "times cannot be set by an exclusive create");
        }
        Inode existing = existing(ctx, dir, name);
        boolean exists = existing != null;
        if (exists && mode == GUARDED4) {
            throw new NfsException(NfsStatus.NFS4ERR_EXIST, name + " exists in /" + dir.path());
        }
        NewAttributes attrs = asked.attributes();
        int[] attrset = asked.mask();
        if (exists && mode == UNCHECKED4) {
            // RFC 8881 section 18.16.3: an existing file only takes the size (a truncation)
            OptionalLong size = attrs.size();
            attrs = new NewAttributes(size, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty());
            attrset = size.isPresent() ? AttributeEncoder.bitmap(Attr.SIZE) : new int[0];
        }
        if (!exists) {
            ctx.checkAccess(dir, ACCESS4_EXTEND);
        } else if (existing != null && attrs.size().isPresent() && !existing.isDirectory()) {   // exists
            ctx.checkAccess(existing, ACCESS4_MODIFY);   // truncating needs write permission, whatever the share
        }
        CreateHow.Mode how = switch (mode) {
            case UNCHECKED4 -> CreateHow.Mode.UNCHECKED;
            case GUARDED4 -> CreateHow.Mode.GUARDED;
            default -> CreateHow.Mode.EXCLUSIVE;
        };
        long verifier = args.createVerifier() == null ? 0 : ByteBuffer.wrap(args.createVerifier()).getLong();
        long before = ChangeInfo.changeOf(ctx, dir);
        Inode file = ctx.services().fs().create(dir, name, new CreateHow(how, verifier, attrs),
                ctx.creator(attrs.mode().orElse(DEFAULT_FILE_MODE)));
        long after = ChangeInfo.changeOf(ctx, dir);
        return new Target(file, !exists, attrset, new ChangeInfo(before, after));
    }

    /** The name's object, or null when there is none. */
    private static @Nullable Inode existing(CompoundContext ctx, Inode dir, String name) throws FsException {
        try {
            return ctx.services().fs().lookup(dir, name);
        } catch (FsException e) {
            if (e.error() == FsError.NOENT) {
                return null;
            }
            throw e;
        }
    }
}
