package io.prefetchd.planner;

import java.util.Arrays;

/**
 * The planner's per-extent numbers for the extents in the cache or on their way (the ledger's Belady key, last
 * access and window position), kept only for those: an open-addressing hash table from extent id to its three
 * numbers, in primitive arrays sized to what the cache holds rather than to the dataset (about 40 bytes an extent
 * present at a load of at most three quarters; nothing for the rest of a 100 M-extent dataset).
 *
 * <p>Linear probing with backward-shift deletion, so there are no tombstones and lookups stay short however many
 * extents come and go. Grows by doubling; never shrinks (it is as large as the most the cache held at once).
 *
 * <p>Not thread-safe; owned by one ledger.
 */
final class PresentExtents {
    private static final int EMPTY = -1;

    private int[] ids;
    private long[] key;
    private long[] lastAccess;
    private long[] needPosition;
    private int size;
    private int mask;

    PresentExtents() {
        allocate(16);
    }

    private void allocate(int capacity) {
        ids = new int[capacity];
        Arrays.fill(ids, EMPTY);
        key = new long[capacity];
        lastAccess = new long[capacity];
        needPosition = new long[capacity];
        mask = capacity - 1;
    }

    int size() {
        return size;
    }

    /** Adds {@code id} with its numbers at zero; it must not be present. */
    void add(int id) {
        if ((size + 1) * 4L > ids.length * 3L) {
            grow();
        }
        int i = home(id);
        while (ids[i] != EMPTY) {
            if (ids[i] == id) {
                throw new IllegalStateException("extent " + id + " is present already");
            }
            i = (i + 1) & mask;
        }
        ids[i] = id;
        key[i] = 0;
        lastAccess[i] = 0;
        needPosition[i] = 0;
        size++;
    }

    /** Removes {@code id} and its numbers, if present. */
    void remove(int id) {
        int i = slot(id);
        if (i < 0) {
            return;
        }
        size--;
        // shift later members of the probe run back into the hole, so that no run has a gap
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            if (ids[j] == EMPTY) {
                break;
            }
            int h = home(ids[j]);
            // ids[j] may move to the hole unless its home lies cyclically in (hole, j]
            boolean stays = hole <= j ? hole < h && h <= j : hole < h || h <= j;
            if (!stays) {
                ids[hole] = ids[j];
                key[hole] = key[j];
                lastAccess[hole] = lastAccess[j];
                needPosition[hole] = needPosition[j];
                hole = j;
            }
        }
        ids[hole] = EMPTY;
    }

    long key(int id) {
        int i = slot(id);
        return i < 0 ? 0 : key[i];
    }

    long lastAccess(int id) {
        int i = slot(id);
        return i < 0 ? 0 : lastAccess[i];
    }

    long needPosition(int id) {
        int i = slot(id);
        return i < 0 ? 0 : needPosition[i];
    }

    void setKey(int id, long value) {
        key[present(id)] = value;
    }

    void setLastAccess(int id, long value) {
        lastAccess[present(id)] = value;
    }

    void setNeedPosition(int id, long value) {
        needPosition[present(id)] = value;
    }

    private int present(int id) {
        int i = slot(id);
        if (i < 0) {
            throw new IllegalStateException("extent " + id + " is not in the cache");
        }
        return i;
    }

    private int slot(int id) {
        int i = home(id);
        while (ids[i] != EMPTY) {
            if (ids[i] == id) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private int home(int id) {
        int h = id * 0x9E3779B9; // Fibonacci hashing spreads consecutive ids over the table
        return (h ^ (h >>> 16)) & mask;
    }

    private void grow() {
        int[] oldIds = ids;
        long[] oldKey = key;
        long[] oldAccess = lastAccess;
        long[] oldNeed = needPosition;
        allocate(oldIds.length * 2);
        for (int j = 0; j < oldIds.length; j++) {
            if (oldIds[j] != EMPTY) {
                int i = home(oldIds[j]);
                while (ids[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                ids[i] = oldIds[j];
                key[i] = oldKey[j];
                lastAccess[i] = oldAccess[j];
                needPosition[i] = oldNeed[j];
            }
        }
    }
}
