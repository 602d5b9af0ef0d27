package io.prefetchd.gateway.fs.staging;

import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

import static java.util.Objects.requireNonNull;

/**
 * The S3 keys that uploads of staged files are being sent to, from the start of each upload until its bookkeeping
 * ended (a server-side copy to the file's new name included). The gateway writes a key through one upload at a
 * time: an upload still in flight for a file renamed or removed since may land at any moment, unconditionally
 * for a file renamed over another name, and what it leaves is then deleted as a stray. Anything the gateway put
 * under that key before it landed would be overwritten, then deleted with it. So an upload to a key another file's
 * upload holds waits ({@link #claim}), and a rename or a PUT onto it answers DELAY ({@link #requireFree}) until
 * that upload is over, which takes one upload's time.
 *
 * <p>Thread-safe.
 */
final class UploadTargets {
    /** One upload's hold on its keys. Identity matters: a file's next upload holds its keys with a new claim. */
    static final class Claim {
        private final StagedFile file;
        private final List<String> keys = new ArrayList<>(2);

        private Claim(StagedFile file) {
            this.file = file;
        }
    }

    private final ConcurrentHashMap<String, Claim> held = new ConcurrentHashMap<>();

    /**
     * Holds {@code keys} for an upload of {@code file}; null, holding none, when another file's upload holds one of
     * them.
     */
    @Nullable Claim claim(StagedFile file, Collection<String> keys) {
        Claim c = new Claim(requireNonNull(file, "file is null"));
        for (String key : keys) {
            if (!add(c, key)) {
                release(c);
                return null;
            }
        }
        return c;
    }

    /** Adds {@code key} to claim {@code c}; false when another file's upload holds it. */
    boolean add(Claim c, String key) {
        Claim now = held.compute(key, (k, old) -> old == null || old == c || old.file == c.file ? c : old);
        if (now != c) {
            return false;
        }
        if (!c.keys.contains(key)) {
            c.keys.add(key);
        }
        return true;
    }

    /** Lets go of what {@code c} holds. */
    void release(Claim c) {
        for (String key : c.keys) {
            held.remove(key, c);
        }
    }

    /** Fails with DELAY while an upload holds {@code key}: a write onto it now could be overwritten by that one. */
    void requireFree(String key, String what) throws FsException {
        if (held.containsKey(key)) {
            throw busy(what, "s3 key " + key);
        }
    }

    /** As {@link #requireFree}, for every key under {@code prefix}. */
    void requireFreeUnder(String prefix, String what) throws FsException {
        for (String key : held.keySet()) {
            if (key.startsWith(prefix)) {
                throw busy(what, "s3 key " + key);
            }
        }
    }

    private static FsException busy(String what, String where) {
        return new FsException(FsError.DELAY, what + " waits: an upload to " + where
                + " is still in flight (try again when it has landed)");
    }
}
