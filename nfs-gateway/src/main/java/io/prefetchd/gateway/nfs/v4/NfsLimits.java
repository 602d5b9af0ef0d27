package io.prefetchd.gateway.nfs.v4;

/**
 * Sizes the server announces: maxread/maxwrite (the client's rsize is min(1 MiB, maxread)), and the ceilings
 * for channel attributes negotiated by CREATE_SESSION.
 */
public record NfsLimits(int maxRead, int maxRequestSize, int maxResponseSize, int maxResponseSizeCached,
                        int maxOperations, int maxRequests) {
    public static NfsLimits defaults() {
        return new NfsLimits(1 << 20, (1 << 20) + 64 * 1024, (1 << 20) + 64 * 1024, 64 * 1024, 16, 64);
    }
}
