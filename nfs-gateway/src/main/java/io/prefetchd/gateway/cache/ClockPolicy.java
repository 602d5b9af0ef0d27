package io.prefetchd.gateway.cache;

import java.util.Arrays;

/**
 * CLOCK, the classic one-bit approximation of least-recently-used: the slots form a ring, a hand sweeps it, and
 * a block is evicted when the hand finds it not referenced since the hand last passed (a reference bit set by
 * every read, cleared by the hand). A block read again before the hand comes round stays; a block never read
 * again goes about one revolution after it came. It costs two bits per slot (member, referenced) and no object
 * per block, where an exact LRU list costs two links of four bytes.
 *
 * <p>New blocks come in unreferenced. The cache reuses the slot of the block evicted last, just behind the hand,
 * so a new block is the last the hand reaches. {@link #orderStart()} is the hand, so a saved index lists blocks
 * in the order the hand would meet them and a restart rebuilds the same ring.
 *
 * <p>Not thread-safe: guarded by the cache's lock (see {@link EvictionPolicy}).
 */
final class ClockPolicy implements EvictionPolicy {
    private long[] member = new long[0];
    private long[] referenced = new long[0];
    private int members;
    private int hand;

    ClockPolicy() {
    }

    /** For the cache's policy factory: the table is not needed. */
    ClockPolicy(BlockTable table) {
        this();
    }

    @Override
    public void onInsert(int slot) {
        if (slot >>> 6 >= member.length) {
            int words = Math.max((slot >>> 6) + 1, member.length + (member.length >>> 1));
            member = Arrays.copyOf(member, words);
            referenced = Arrays.copyOf(referenced, words);
        }
        if (!get(member, slot)) {
            members++;
        }
        member[slot >>> 6] |= 1L << slot;
        referenced[slot >>> 6] &= ~(1L << slot);
    }

    @Override
    public void onAccess(int slot) {
        if (isMember(slot)) {
            referenced[slot >>> 6] |= 1L << slot;
        }
    }

    @Override
    public void onRemove(int slot) {
        if (isMember(slot)) {
            members--;
            member[slot >>> 6] &= ~(1L << slot);
            referenced[slot >>> 6] &= ~(1L << slot);
        }
    }

    @Override
    public int victim() {
        if (members == 0) {
            return -1;
        }
        int limit = member.length << 6;
        // at most two revolutions: the first may only clear reference bits
        for (long steps = 0; steps <= 2L * limit + 64; ) {
            if (hand >= limit) {
                hand = 0;
            }
            int word = hand >>> 6;
            if (member[word] == 0) { // skip 64 empty slots at once
                steps += 64 - (hand & 63);
                hand = (word + 1) << 6;
                continue;
            }
            int slot = hand++;
            steps++;
            if (!get(member, slot)) {
                continue;
            }
            if (get(referenced, slot)) {
                referenced[word] &= ~(1L << slot);
                continue;
            }
            return slot;
        }
        throw new IllegalStateException("CLOCK found no victim among " + members + " blocks");
    }

    @Override
    public boolean recentlyUsed(int slot) {
        return isMember(slot) && get(referenced, slot);
    }

    @Override
    public int orderStart() {
        return hand;
    }

    /** Blocks the policy may evict. */
    int size() {
        return members;
    }

    private boolean isMember(int slot) {
        return slot >>> 6 < member.length && get(member, slot);
    }

    private static boolean get(long[] bits, int slot) {
        return (bits[slot >>> 6] & 1L << slot) != 0;
    }
}
