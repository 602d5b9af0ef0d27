package io.prefetchd.planner;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The planner's picture of the cache: per extent, where it is (absent, in flight, resident) and why it is kept.
 *
 * <p>Roles split the capacity the way the design asks:
 * <ul>
 *   <li>{@code PINNED}: the stable set, about {@code capacity − window} bytes, kept across epochs. Under random
 *       permutations a hit is only possible for what was cached at the epoch boundary, so keeping one stable set
 *       reaches OPT's hit ratio c; anything that churns it (LRU) falls to ≈ c²/2.</li>
 *   <li>{@code WINDOW}: prefetched and not read yet; bounded by the window budget, never evicted.</li>
 *   <li>{@code TRANSIENT}: read already (or fetched on demand) and not pinned; kept only while nothing better
 *       needs the space, evicted farthest-next-use first (Belady), least recently used among those not needed in
 *       the known future.</li>
 *   <li>{@code BYPASS}: a demand fetch the planner did not want to keep (no bytes reserved).</li>
 * </ul>
 * Bytes are reserved when a fetch is planned, not when it lands, so {@code used ≤ capacity} holds with requests in
 * flight; the engine checks it on every change.
 *
 * <p>Not thread-safe; owned by one engine.
 */
final class CacheLedger {
    static final byte ABSENT = 0;
    static final byte INFLIGHT = 1;
    static final byte RESIDENT = 2;

    static final byte NONE = 0;
    static final byte PINNED = 1;
    static final byte WINDOW = 2;
    static final byte TRANSIENT = 3;
    static final byte BYPASS = 4;

    private final ExtentTable table;
    /** Changed only by {@link PlanningEngine#resize(long)}, which keeps {@code used <= capacity}. */
    long capacity;
    /** Per extent of the dataset: one byte each for where it is and why it is kept; nothing else is per extent. */
    final byte[] state;
    final byte[] role;
    /**
     * For present extents only: the Belady key (next use position, {@link KnownFuture#NEVER} if not in the known
     * future), the last access, and for WINDOW extents the position they were fetched for (-1 for stream read-ahead).
     * An extent that leaves the cache forgets them: fetched again, it starts from zero.
     */
    private final PresentExtents present = new PresentExtents();
    /** Extents of the read being served: never victims while its demand fetches are planned. */
    private int[] shielded = new int[0];
    long used;
    long pinned;
    long window;
    private final TreeSet<Integer> evictable;

    CacheLedger(ExtentTable table, long capacity) {
        this.table = table;
        this.capacity = capacity;
        int n = table.extentCount();
        state = new byte[n];
        role = new byte[n];
        // farthest next use first, then least recently used, then id (total order for determinism)
        evictable = new TreeSet<>((a, b) -> {
            int c = Long.compare(present.key(b), present.key(a));
            if (c != 0) {
                return c;
            }
            c = Long.compare(present.lastAccess(a), present.lastAccess(b));
            return c != 0 ? c : Integer.compare(a, b);
        });
    }

    long free() {
        return capacity - used;
    }

    boolean isEvictable(int id) {
        return state[id] == RESIDENT && role[id] == TRANSIENT;
    }

    /** ABSENT → INFLIGHT with a role; reserves bytes unless BYPASS. */
    void reserve(int id, byte newRole) {
        require(state[id] == ABSENT, id, "reserve needs an absent extent");
        state[id] = INFLIGHT;
        present.add(id);
        role[id] = NONE;
        setRole(id, newRole);
    }

    /** INFLIGHT → RESIDENT (or ABSENT for BYPASS). */
    void arrive(int id) {
        require(state[id] == INFLIGHT, id, "arrive needs an in-flight extent");
        if (role[id] == BYPASS) {
            state[id] = ABSENT;
            role[id] = NONE;
            present.remove(id);
            return;
        }
        state[id] = RESIDENT;
        if (role[id] == TRANSIENT) {
            evictable.add(id);
        }
    }

    /** INFLIGHT or RESIDENT → ABSENT, releasing its bytes. */
    void drop(int id) {
        require(state[id] != ABSENT, id, "drop needs a present extent");
        setRole(id, NONE);
        state[id] = ABSENT;
        present.remove(id);
    }

    /** Changes the role of a present extent, keeping byte counters and the evictable set right. */
    void setRole(int id, byte newRole) {
        byte old = role[id];
        if (old == newRole) {
            return;
        }
        long len = table.length(id);
        if (old == TRANSIENT && state[id] == RESIDENT) {
            evictable.remove(id);
        }
        if (old != NONE && old != BYPASS) {
            used -= len;
        }
        if (old == PINNED) {
            pinned -= len;
        } else if (old == WINDOW) {
            window -= len;
        }
        role[id] = newRole;
        if (newRole != NONE && newRole != BYPASS) {
            used += len;
        }
        if (newRole == PINNED) {
            pinned += len;
        } else if (newRole == WINDOW) {
            window += len;
        }
        if (newRole == TRANSIENT && state[id] == RESIDENT) {
            evictable.add(id);
        }
    }

    /** Changes the Belady key and recency of an extent, re-sorting it if evictable. */
    void rekey(int id, long newKey, long access) {
        boolean in = isEvictable(id) && evictable.remove(id);
        present.setKey(id, newKey);
        present.setLastAccess(id, access);
        if (in) {
            evictable.add(id);
        }
    }

    long key(int id) {
        return present.key(id);
    }

    long lastAccess(int id) {
        return present.lastAccess(id);
    }

    /** Sets the last access of a present extent that is not evictable (its place in the order does not change). */
    void setLastAccess(int id, long access) {
        require(!isEvictable(id), id, "an evictable extent is re-sorted with rekey");
        present.setLastAccess(id, access);
    }

    long needPosition(int id) {
        return present.needPosition(id);
    }

    void setNeedPosition(int id, long position) {
        present.setNeedPosition(id, position);
    }

    /** Present extents: the size of the per-extent numbers kept. */
    int presentCount() {
        return present.size();
    }

    /** {@code ids} (the extents of the read being served) are no victims until {@link #unshield}. */
    void shield(int[] ids) {
        shielded = ids;
    }

    void unshield() {
        shielded = new int[0];
    }

    private boolean isShielded(int id) {
        for (int s : shielded) {
            if (s == id) {
                return true;
            }
        }
        return false;
    }

    /** All evictable ids (a copy). */
    List<Integer> evictables() {
        return new ArrayList<>(evictable);
    }

    /**
     * The evictable extents to drop so that {@code bytes} more fit, farthest next use first. A victim must not be
     * needed in the known future, or be needed strictly later than {@code laterThan} (the latest need among the
     * bytes being admitted): the planner never evicts a byte needed sooner than one it admits. Changes nothing.
     *
     * @return the victims (empty if the bytes fit already), or null if they cannot be made to fit
     */
    @Nullable List<Integer> victims(long bytes, long laterThan) {
        long missing = bytes - free();
        if (missing <= 0) {
            return List.of();
        }
        List<Integer> out = new ArrayList<>();
        Iterator<Integer> it = evictable.iterator();
        while (missing > 0 && it.hasNext()) {
            int v = it.next();
            if (isShielded(v)) {
                continue;
            }
            long key = present.key(v);
            if (key != KnownFuture.NEVER && key <= laterThan) {
                return null; // everything left is needed sooner than what we would admit
            }
            out.add(v);
            missing -= table.length(v);
        }
        return missing > 0 ? null : out;
    }

    void checkInvariants() {
        if (used > capacity) {
            throw new IllegalStateException("planned past capacity: " + used + " > " + capacity);
        }
        if (used < 0 || pinned < 0 || window < 0) {
            throw new IllegalStateException("negative byte count: used " + used + ", pinned " + pinned
                    + ", window " + window);
        }
    }

    private void require(boolean ok, int id, String what) {
        if (!ok) {
            throw new IllegalStateException(what + ": " + table.extent(id) + " is in state " + state[id]
                    + " role " + role[id]);
        }
    }
}
