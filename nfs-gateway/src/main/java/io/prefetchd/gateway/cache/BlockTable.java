package io.prefetchd.gateway.cache;

import java.util.Arrays;

/**
 * The cache's index: every block it tracks (on disk, or being fetched), in primitive arrays indexed by an int
 * <em>slot</em>, with no object per block.
 *
 * <h2>Why this shape</h2>
 * A node with tens of terabytes of NVMe holds tens of millions of ~100 KB blocks. A map entry per block (a boxed
 * key, a node, a value object, a tree node per object) costs some 250 bytes each; these arrays cost about 30:
 * <pre>
 *   per slot  16  object id (the first 128 bits of sha256(bucket, key, ETag), two longs)
 *              8  start and length, packed: start &lt;&lt; 18 | (length - 1)   (start &lt; 2^45, length &lt;= 2^18)
 *              2  block-file header length (so the file size is known without the file)
 *           1/8  each of three bits: in use, on disk ("cached"), held for the planner
 *   hash    ~6   an open-addressing table of slots at load 0.53 to 0.8
 * </pre>
 * The eviction policy keeps its own state per slot in the same style ({@link ClockPolicy}: two bits).
 *
 * <h2>Finding blocks</h2>
 * A block never crosses a grain line: the cache cuts new blocks at grain lines and at sample bounds, so every
 * block lies inside one <em>cell</em> {@code [c * grain, (c + 1) * grain)}. The hash is keyed by (object, cell),
 * and every question the cache asks (which known block holds byte {@code p}, where does the gap around {@code p}
 * begin and end) is answered by the few blocks of one cell: {@link #cell}. Linear probing keeps all blocks of a
 * cell in one run of the table, so a cell is one probe sequence. Deletion shifts the run back (no tombstones).
 *
 * <h2>Slots</h2>
 * Slots are handed out from a free list (last freed first) before new ones are appended, in pages of 65,536 so
 * growing never copies the whole table and wastes at most one page. A slot number is stable while its block is
 * tracked and may be reused once it is freed.
 *
 * <p>Not thread-safe: the cache guards it with its lock.
 */
final class BlockTable {
    static final int MAX_LENGTH = 1 << 18;
    static final long MAX_START = (1L << 45) - 1;
    static final int MAX_HEADER_BYTES = 0xFFFF;
    private static final int PAGE_SHIFT = 16;
    private static final int PAGE = 1 << PAGE_SHIFT;
    private static final int MASK = PAGE - 1;
    private static final float MAX_LOAD = 0.8f;
    private static final long[][] NO_LONG_PAGES = new long[0][];
    private static final char[][] NO_CHAR_PAGES = new char[0][];

    private final int shift;
    private long[][] hi = NO_LONG_PAGES;
    private long[][] lo = NO_LONG_PAGES;
    private long[][] span = NO_LONG_PAGES;
    private char[][] header = NO_CHAR_PAGES;
    private long[] used = new long[0];
    private long[] cached = new long[0];
    private long[] held = new long[0];
    /** Slots never handed out start here. */
    private int top;
    /** Freed slots, a stack; {@code free[0..freeCount)}. */
    private int[] free = new int[16];
    private int freeCount;
    private int size;
    private int cachedCount;
    private int heldCount;
    /** slot + 1 per entry, 0 for empty. */
    private int[] table;

    /** @param grainShift log2 of the grain: blocks lie within one grain-aligned cell */
    BlockTable(int grainShift) {
        this(grainShift, 0);
    }

    /** Sized for {@code expected} blocks up front (a restart knows how many it will load). */
    BlockTable(int grainShift, int expected) {
        this.shift = grainShift;
        this.table = new int[Math.max(16, (int) Math.min(Integer.MAX_VALUE - 8, (long) (expected / MAX_LOAD) + 1))];
    }

    // ---------------------------------------------------------------- slots

    /**
     * Tracks a new block (not yet cached) and returns its slot. The caller makes sure no tracked block of the same
     * object overlaps it.
     */
    int add(long idHigh, long idLow, long start, int length) {
        if (start < 0 || start > MAX_START || length <= 0 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("block [" + start + ", +" + length + ") cannot be indexed");
        }
        if ((start >>> shift) != ((start + length - 1) >>> shift)) {
            throw new IllegalArgumentException("block [" + start + ", +" + length + ") crosses a grain line");
        }
        int slot = freeCount > 0 ? free[--freeCount] : top++;
        if (slot < 0) {
            throw new IllegalStateException("more than 2^31 blocks");
        }
        ensurePage(slot);
        int p = slot >>> PAGE_SHIFT;
        int i = slot & MASK;
        hi[p][i] = idHigh;
        lo[p][i] = idLow;
        span[p][i] = start << 18 | (length - 1);
        header[p][i] = 0;
        if (size + 1 > table.length * MAX_LOAD) {
            rehash(Math.min(Integer.MAX_VALUE - 8, table.length + (table.length >>> 1)));
        }
        set(used, slot);
        size++;
        insertInTable(slot);
        return slot;
    }

    /** Forgets a tracked block; its slot may be handed out again. */
    void free(int slot) {
        checkUsed(slot);
        removeFromTable(slot);
        setCached(slot, false, 0);
        setHeld(slot, false);
        clear(used, slot);
        size--;
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = slot;
    }

    long idHigh(int slot) {
        return hi[slot >>> PAGE_SHIFT][slot & MASK];
    }

    long idLow(int slot) {
        return lo[slot >>> PAGE_SHIFT][slot & MASK];
    }

    long start(int slot) {
        return span[slot >>> PAGE_SHIFT][slot & MASK] >>> 18;
    }

    int length(int slot) {
        return (int) (span[slot >>> PAGE_SHIFT][slot & MASK] & (MAX_LENGTH - 1)) + 1;
    }

    long end(int slot) {
        return start(slot) + length(slot);
    }

    /** The block file's size: its header and its data. */
    long fileBytes(int slot) {
        return header[slot >>> PAGE_SHIFT][slot & MASK] + (long) length(slot);
    }

    int headerBytes(int slot) {
        return header[slot >>> PAGE_SHIFT][slot & MASK];
    }

    BlockKey key(int slot) {
        return new BlockKey(idHigh(slot), idLow(slot), start(slot), length(slot));
    }

    boolean isUsed(int slot) {
        return slot >= 0 && slot < top && get(used, slot);
    }

    boolean isCached(int slot) {
        return isUsed(slot) && get(cached, slot);
    }

    /** Marks a tracked block as on disk in a file of {@code headerBytes} + its length, or as not on disk. */
    void setCached(int slot, boolean value, int headerBytes) {
        checkUsed(slot);
        if (headerBytes < 0 || headerBytes > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header of " + headerBytes + " bytes cannot be indexed");
        }
        header[slot >>> PAGE_SHIFT][slot & MASK] = (char) (value ? headerBytes : 0);
        if (value != get(cached, slot)) {
            cachedCount += value ? 1 : -1;
        }
        if (value) {
            set(cached, slot);
        } else {
            clear(cached, slot);
        }
    }

    boolean isHeld(int slot) {
        return isUsed(slot) && get(held, slot);
    }

    /** Sets the hold; returns whether it was set before. */
    boolean setHeld(int slot, boolean value) {
        checkUsed(slot);
        boolean was = get(held, slot);
        if (was != value) {
            heldCount += value ? 1 : -1;
        }
        if (value) {
            set(held, slot);
        } else {
            clear(held, slot);
        }
        return was;
    }

    /** Tracked blocks (cached or not). */
    int size() {
        return size;
    }

    int cachedCount() {
        return cachedCount;
    }

    int heldCount() {
        return heldCount;
    }

    /** One past the highest slot ever handed out: every slot is below it. */
    int slotLimit() {
        return top;
    }

    /** Sizes the hash for {@code expected} blocks in all, so that loading them does not grow it step by step. */
    void reserve(long expected) {
        long length = (long) (expected / MAX_LOAD) + 1;
        if (length > table.length) {
            rehash((int) Math.min(Integer.MAX_VALUE - 8, length));
        }
    }

    // ---------------------------------------------------------------- look-ups

    /** The slot of exactly this block, or -1. */
    int find(long idHigh, long idLow, long start, int length) {
        long cell = start >>> shift;
        int n = table.length;
        for (int at = home(idHigh, idLow, cell); ; at = at + 1 == n ? 0 : at + 1) {
            int entry = table[at];
            if (entry == 0) {
                return -1;
            }
            int slot = entry - 1;
            if (idHigh(slot) == idHigh && idLow(slot) == idLow && start(slot) == start && length(slot) == length) {
                return slot;
            }
        }
    }

    /** The tracked blocks of the object inside cell {@code cell} (bytes {@code [cell, cell + 1) * grain}), by start. */
    int[] cell(long idHigh, long idLow, long cell) {
        int[] out = null;
        int count = 0;
        int n = table.length;
        for (int at = home(idHigh, idLow, cell); ; at = at + 1 == n ? 0 : at + 1) {
            int entry = table[at];
            if (entry == 0) {
                break;
            }
            int slot = entry - 1;
            if (idHigh(slot) == idHigh && idLow(slot) == idLow && start(slot) >>> shift == cell) {
                if (out == null) {
                    out = new int[2];
                } else if (count == out.length) {
                    out = Arrays.copyOf(out, count * 2);
                }
                out[count++] = slot;
            }
        }
        if (out == null) {
            return EMPTY;
        }
        // a handful at most: insertion sort by start
        for (int i = 1; i < count; i++) {
            int s = out[i];
            long key = start(s);
            int j = i - 1;
            while (j >= 0 && start(out[j]) > key) {
                out[j + 1] = out[j];
                j--;
            }
            out[j + 1] = s;
        }
        return count == out.length ? out : Arrays.copyOf(out, count);
    }

    private static final int[] EMPTY = new int[0];

    /** True when a tracked block of the object other than {@code except} shares a byte with {@code [start, end)}. */
    boolean overlaps(long idHigh, long idLow, long start, long end, int except) {
        for (int slot : cell(idHigh, idLow, start >>> shift)) {
            if (slot != except && start(slot) < end && end(slot) > start) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- the hash

    private int home(long idHigh, long idLow, long cell) {
        long h = idHigh * 0x9E3779B97F4A7C15L ^ idLow ^ cell * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int) (((h & 0xFFFFFFFFL) * table.length) >>> 32); // fast range: the table need not be a power of two
    }

    private int homeOf(int slot) {
        return home(idHigh(slot), idLow(slot), start(slot) >>> shift);
    }

    private void insertInTable(int slot) {
        int n = table.length;
        int at = homeOf(slot);
        while (table[at] != 0) {
            at = at + 1 == n ? 0 : at + 1;
        }
        table[at] = slot + 1;
    }

    private void removeFromTable(int slot) {
        int n = table.length;
        int at = homeOf(slot);
        while (table[at] != slot + 1) {
            if (table[at] == 0) {
                throw new IllegalStateException("slot " + slot + " is not in the hash");
            }
            at = at + 1 == n ? 0 : at + 1;
        }
        // backward-shift deletion: move later entries of the run into the hole when their home allows it
        int hole = at;
        int next = hole;
        while (true) {
            next = next + 1 == n ? 0 : next + 1;
            int entry = table[next];
            if (entry == 0) {
                break;
            }
            int home = homeOf(entry - 1);
            // the entry may move to the hole if its home is not cyclically within (hole, next]
            boolean homeInRange = hole <= next ? home > hole && home <= next : home > hole || home <= next;
            if (!homeInRange) {
                table[hole] = entry;
                hole = next;
            }
        }
        table[hole] = 0;
    }

    private void rehash(int length) {
        table = new int[length];
        for (int slot = 0; slot < top; slot++) {
            if (get(used, slot)) {
                insertInTable(slot);
            }
        }
    }

    // ---------------------------------------------------------------- storage

    private void ensurePage(int slot) {
        int p = slot >>> PAGE_SHIFT;
        if (p < hi.length) {
            return;
        }
        hi = Arrays.copyOf(hi, p + 1);
        lo = Arrays.copyOf(lo, p + 1);
        span = Arrays.copyOf(span, p + 1);
        header = Arrays.copyOf(header, p + 1);
        hi[p] = new long[PAGE];
        lo[p] = new long[PAGE];
        span[p] = new long[PAGE];
        header[p] = new char[PAGE];
        int words = (p + 1) * (PAGE / 64);
        used = Arrays.copyOf(used, words);
        cached = Arrays.copyOf(cached, words);
        held = Arrays.copyOf(held, words);
    }

    private void checkUsed(int slot) {
        if (!isUsed(slot)) {
            throw new IllegalArgumentException("slot " + slot + " is not in use");
        }
    }

    private static boolean get(long[] bits, int slot) {
        return (bits[slot >>> 6] & 1L << slot) != 0;
    }

    private static void set(long[] bits, int slot) {
        bits[slot >>> 6] |= 1L << slot;
    }

    private static void clear(long[] bits, int slot) {
        bits[slot >>> 6] &= ~(1L << slot);
    }
}
