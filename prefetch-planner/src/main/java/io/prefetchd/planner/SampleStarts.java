package io.prefetchd.planner;

/**
 * Where each sample's run of extent ids starts, for a dataset whose samples read consecutive runs of ids (the
 * {@link OrderedExtentTable}): about one byte a sample instead of an {@code int}. Sample {@code s}'s count of
 * extents is a byte, and the start of every {@value #STRIDE}th sample is an {@code int}, so a start is one array read
 * plus fewer than {@value #STRIDE} byte additions and the sample of an id is a binary search plus as many. A dataset
 * with a sample of more than 255 extents keeps plain starts. Immutable.
 */
abstract class SampleStarts {
    static final int STRIDE = 64;

    /** The first id of sample {@code s}; {@code start(sampleCount)} is the number of ids. */
    abstract int start(int s);

    /** The sample whose run holds id {@code extent}. */
    abstract int sampleOf(int extent);

    /** The compact form of {@code starts} (non-decreasing, one more entry than samples) when it fits, else them. */
    static SampleStarts of(int[] starts, int samples) {
        for (int s = 0; s < samples; s++) {
            if (starts[s + 1] - starts[s] > 255) {
                return new Plain(starts, samples);
            }
        }
        return new Packed(starts, samples);
    }

    private static final class Plain extends SampleStarts {
        private final int[] starts;
        private final int samples;

        Plain(int[] starts, int samples) {
            this.starts = starts;
            this.samples = samples;
        }

        @Override
        int start(int s) {
            return starts[s];
        }

        @Override
        int sampleOf(int extent) {
            int lo = 0;
            int hi = samples;
            while (lo < hi) { // the first sample starting after the id, less one
                int mid = (lo + hi) >>> 1;
                if (starts[mid] <= extent) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo - 1;
        }
    }

    private static final class Packed extends SampleStarts {
        private final byte[] counts;
        /** The start of sample {@code k * STRIDE}, for every k up to and including the one past the last sample. */
        private final int[] every;
        private final int samples;

        Packed(int[] starts, int samples) {
            this.samples = samples;
            this.counts = new byte[samples];
            for (int s = 0; s < samples; s++) {
                counts[s] = (byte) (starts[s + 1] - starts[s]);
            }
            this.every = new int[samples / STRIDE + 2];
            for (int k = 0; k < every.length; k++) {
                every[k] = starts[Math.min(samples, k * STRIDE)];
            }
        }

        @Override
        int start(int s) {
            int base = s / STRIDE * STRIDE;
            int at = every[s / STRIDE];
            for (int i = base; i < s; i++) {
                at += counts[i] & 0xff;
            }
            return at;
        }

        @Override
        int sampleOf(int extent) {
            int lo = 0;
            int hi = (samples - 1) / STRIDE;
            int k = 0;
            while (lo <= hi) { // the last stride starting at or before the id
                int mid = (lo + hi) >>> 1;
                if (every[mid] <= extent) {
                    k = mid;
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            int s = k * STRIDE;
            int at = every[k];
            while (s < samples - 1 && at + (counts[s] & 0xff) <= extent) {
                at += counts[s] & 0xff;
                s++;
            }
            return s;
        }
    }
}
