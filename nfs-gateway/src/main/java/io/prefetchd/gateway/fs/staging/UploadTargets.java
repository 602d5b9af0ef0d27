package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The S3 keys the gateway is writing, so that it writes each through one write at a time. An upload of a staged file
 * holds the keys it may land under from its start until its bookkeeping ended (a server-side copy to the file's new
 * name included); a rename of an object, or a PUT through the S3 endpoint, holds its key while it writes it; a
 * directory rename holds every key under its new prefix while it moves the keys there.
 *
 * <p>Why: an upload still in flight for a file renamed or removed since may land at any moment, unconditionally
 * for a file renamed over another name, and what it leaves is then deleted as a stray. Anything the gateway put
 * under that key before it landed would be overwritten, then deleted with it. So an upload to a key another write
 * holds waits ({@link #claim} fails and the file stays due), and a rename or a PUT onto a held key answers DELAY
 * ({@link #hold}) until that write is over.
 *
 * <p>Thread-safe; every method is short and takes this object's monitor.
 */
final class UploadTargets {
    /** One write's hold on its keys. Identity matters: a file's next upload holds its keys with a new claim. */
    static final class Claim {
        private final Object owner;
        private final List<String> keys = new ArrayList<>(2);
        private @Nullable String prefix;

        private Claim(Object owner) {
            this.owner = owner;
        }
    }

    private final Map<String, Claim> held = new HashMap<>();
    private final Map<String, Claim> prefixes = new HashMap<>();

    /**
     * Holds {@code keys} for an upload of {@code file}; null, holding none, when another write holds one of them.
     */
    synchronized @Nullable Claim claim(StagedFile file, Collection<String> keys) {
        Claim c = new Claim(requireNonNull(file, "file is null"));
        for (String key : keys) {
            if (!add(c, key)) {
                release(c);
                return null;
            }
        }
        return c;
    }

    /**
     * Adds {@code key} to claim {@code c}; false when another write holds it. An earlier claim of the same file (its
     * last upload, whose bookkeeping is ending) gives way.
     */
    synchronized boolean add(Claim c, String key) {
        for (Map.Entry<String, Claim> p : prefixes.entrySet()) {
            if (key.startsWith(p.getKey()) && p.getValue() != c) {
                return false;
            }
        }
        Claim old = held.get(key);
        if (old != null && old != c && old.owner != c.owner) {
            return false;
        }
        held.put(key, c);
        if (!c.keys.contains(key)) {
            c.keys.add(key);
        }
        return true;
    }

    /** Holds {@code key} for a write of the gateway's own (a rename, a PUT); DELAY while another write holds it. */
    synchronized Claim hold(String key, String what) throws FsException {
        Claim c = new Claim(new Object());
        if (!add(c, key)) {
            throw busy(what, "s3 key " + key);
        }
        return c;
    }

    /** Holds every key under {@code prefix} (a directory rename's destination); DELAY while a write holds one. */
    synchronized Claim holdUnder(String prefix, String what) throws FsException {
        for (String key : held.keySet()) {
            if (key.startsWith(prefix)) {
                throw busy(what, "s3 key " + key);
            }
        }
        for (String p : prefixes.keySet()) {
            if (p.startsWith(prefix) || prefix.startsWith(p)) {
                throw busy(what, "s3 prefix " + p);
            }
        }
        Claim c = new Claim(new Object());
        c.prefix = prefix;
        prefixes.put(prefix, c);
        return c;
    }

    /** Lets go of what {@code c} holds. */
    synchronized void release(Claim c) {
        for (String key : c.keys) {
            held.remove(key, c);
        }
        if (c.prefix != null) {
            prefixes.remove(c.prefix, c);
        }
    }

    private static FsException busy(String what, String where) {
        return new FsException(FsError.DELAY, what + " waits: a write to " + where
                + " by the gateway is still in flight (try again when it has landed)");
    }
}
