package io.prefetchd.gateway.daemon;

import io.prefetchd.gateway.cache.DiskExtentCache;
import io.prefetchd.gateway.datasets.DatasetKind;
import io.prefetchd.gateway.fleet.FleetSettings;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.S3FileSystem;
import io.prefetchd.gateway.fs.staging.StagingSettings;
import io.prefetchd.gateway.nfs.access.ExportTable;
import io.prefetchd.gateway.nfs.access.FileOwnership;
import io.prefetchd.gateway.prefetch.PrefetchSettings;
import io.prefetchd.gateway.s3.S3Settings;
import io.prefetchd.gateway.s3.UploadSettings;
import io.prefetchd.gateway.s3api.S3ApiSettings;
import io.prefetchd.planner.units.Sizes;
import io.prefetchd.tracer.TracerConfig;
import org.jspecify.annotations.Nullable;

import java.net.URI;
import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * The daemon's settings as the parts it builds take them: each {@code prefetchd.*} group of {@link GatewayConfig}
 * turned once into its typed value and checked, when the daemon starts and before anything is opened. A wrong
 * setting therefore fails the start with a message naming it, instead of after S3 was listed, the cache opened or
 * NFS already listening, or as a bare "not a size" from deep inside a part.
 *
 * <p>A part that is off has no settings here (null); the root builds it when its settings are present.
 *
 * @param stagingDir where staged writes wait (looked at for an earlier run's even when writes are off)
 * @param s3Endpoint {@code prefetchd.s3.endpoint}, empty for AWS: named in start-up messages
 * @param prefix    the export's key prefix, normalized
 * @param nfs       {@code prefetchd.nfs.*}, checked ({@link #checkNfs})
 * @param staging   {@code prefetchd.write.*}, or null when writes are off
 * @param planner   {@code prefetchd.planner.*}, or null when the planner is off
 * @param tracer    {@code prefetchd.tracer.*}, or null when the tracer is off
 * @param fleet     {@code prefetchd.fleet.*}, or null when this gateway joins no fleet
 * @param s3Api     {@code prefetchd.s3-api.*}, or null when the S3 endpoint is off
 * @param grpc      {@code prefetchd.grpc.*}, or null when the hint API is off
 */
record DaemonSettings(Path stateDir, Path cacheDir, Path stagingDir, String s3Endpoint, String prefix, long cacheBytes,
                      int grain, GatewayConfig.Nfs nfs,
                      MetadataSettings metadata, ExportTable exports, FileOwnership ownership,
                      @Nullable StagingSettings staging, @Nullable PrefetchSettings planner,
                      @Nullable TracerConfig tracer, @Nullable FleetSettings fleet, @Nullable S3ApiSettings s3Api,
                      GatewayConfig.@Nullable Grpc grpc, GatewayConfig.Reports reports) {
    DaemonSettings {
        requireNonNull(stateDir, "stateDir is null");
        requireNonNull(cacheDir, "cacheDir is null");
        requireNonNull(stagingDir, "stagingDir is null");
        requireNonNull(s3Endpoint, "s3Endpoint is null");
        requireNonNull(prefix, "prefix is null");
        requireNonNull(nfs, "nfs is null");
        requireNonNull(metadata, "metadata is null");
        requireNonNull(exports, "exports is null");
        requireNonNull(ownership, "ownership is null");
        requireNonNull(reports, "reports is null");
    }

    /** Every setting of {@code c} but the S3 connection's ({@link #s3}), checked. */
    static DaemonSettings of(GatewayConfig c) {
        Path stateDir = Path.of(c.getStateDir());
        GatewayConfig.Nfs nfs = checkNfs(c.getNfs());
        long cacheBytes = size("prefetchd.cache.size", c.getCache().getSize());
        int grain = c.getCache().getGrain();
        if (Integer.bitCount(grain) != 1 || grain < DiskExtentCache.MIN_GRAIN_BYTES
                || grain > DiskExtentCache.MAX_GRAIN_BYTES) {
            throw new StartupException("prefetchd.cache.grain must be a power of two from "
                    + DiskExtentCache.MIN_GRAIN_BYTES + " to " + DiskExtentCache.MAX_GRAIN_BYTES + ", not " + grain);
        }
        if (cacheBytes < 2L * grain) {
            throw new StartupException("prefetchd.cache.size must be at least two grains (" + 2L * grain
                    + " bytes), not " + c.getCache().getSize());
        }
        MetadataSettings metadata;
        try {
            metadata = new MetadataSettings(nfs.getAttributeTtl(), nfs.getMaxStale(), nfs.getDatasetRefresh(),
                    size("prefetchd.nfs.listing-cache-size", nfs.getListingCacheSize()), stateDir.resolve("names"));
        } catch (IllegalArgumentException e) {
            throw new StartupException("bad prefetchd.nfs metadata setting: " + e.getMessage(), e);
        }
        boolean writable = c.getWrite().isEnabled();
        FileOwnership ownership = Access.ownership(c.getAccess(), writable);
        checkDatasets(c);
        GatewayConfig.Reports reports = reports(c.getReports());
        Path stagingDir = c.getWrite().getStagingDir().isBlank() ? stateDir.resolve("staging")
                : Path.of(c.getWrite().getStagingDir());
        return new DaemonSettings(stateDir,
                c.getCache().getDir().isBlank() ? stateDir.resolve("cache") : Path.of(c.getCache().getDir()),
                stagingDir, c.getS3().getEndpoint(),
                // one spelling of the prefix ("data", "/data", "data/" alike), so file handles do not depend on it
                S3FileSystem.normalizePrefix(c.getS3().getPrefix()), cacheBytes, grain, nfs, metadata,
                Access.exports(c.getAccess()), ownership,
                writable ? staging(c.getWrite(), stagingDir) : null,
                c.getPlanner().isEnabled() ? planner(c.getPlanner()) : null,
                c.getTracer().isEnabled() ? tracer(c.getTracer(), stateDir) : null,
                fleet(c.getFleet()), s3Api(c, stateDir), grpc(c.getGrpc()), reports);
    }

    /** The S3 connection of {@code prefetchd.s3.*}: endpoint (empty = AWS), region, bucket, path style and bounds. */
    static S3Settings s3(GatewayConfig.S3 s3) {
        try {
            URI endpoint = s3.getEndpoint().isBlank() ? null : URI.create(s3.getEndpoint());
            return new S3Settings(endpoint, s3.getRegion(), s3.getBucket(), s3.isPathStyle(), s3.getMaxConcurrency(),
                    s3.getMaxAttempts(), s3.getApiCallTimeout(), s3.getConnectTimeout(), s3.getReadTimeout())
                    .withUploads(UploadSettings.defaults().withConcurrency(s3.getUploadConcurrency()));
        } catch (IllegalArgumentException e) {
            throw new StartupException("bad prefetchd.s3 setting: " + e.getMessage(), e);
        }
    }

    /** {@code prefetchd.reports.*}, checked. */
    static GatewayConfig.Reports reports(GatewayConfig.Reports r) {
        if (r.getKeepPerJob() < 1) {
            throw new StartupException("prefetchd.reports.keep-per-job must be at least 1, not " + r.getKeepPerJob());
        }
        if (r.getMaxReports() < 1) {
            throw new StartupException("prefetchd.reports.max-reports must be at least 1, not " + r.getMaxReports());
        }
        return r;
    }

    static GatewayConfig.Nfs checkNfs(GatewayConfig.Nfs n) {
        if (n.getMaxRead() < 4096 || n.getMaxRead() > (16 << 20)) {
            throw new StartupException("prefetchd.nfs.max-read must be between 4096 and 16777216, not " + n.getMaxRead());
        }
        if (n.getWorkers() < 1) {
            throw new StartupException("prefetchd.nfs.workers must be at least 1, not " + n.getWorkers());
        }
        if (n.getLeaseTime().toSeconds() < 10) {
            throw new StartupException("prefetchd.nfs.lease-time must be at least 10s, not " + n.getLeaseTime());
        }
        if (n.getPort() < 0 || n.getPort() > 65535) {
            throw new StartupException("prefetchd.nfs.port must be a TCP port, not " + n.getPort());
        }
        if (n.getMaxRecordSize() < (64 << 10)) {
            throw new StartupException("prefetchd.nfs.max-record-size must be at least 65536, not "
                    + n.getMaxRecordSize());
        }
        if (n.getIdleTimeout().compareTo(n.getLeaseTime()) < 0) {
            throw new StartupException("prefetchd.nfs.idle-timeout (" + n.getIdleTimeout()
                    + ") must be at least the lease time (" + n.getLeaseTime() + "): idle clients renew within it");
        }
        return n;
    }

    static PrefetchSettings planner(GatewayConfig.Planner p) {
        PrefetchSettings d = PrefetchSettings.defaults();
        try {
            return new PrefetchSettings(p.getCacheShare(), p.getMaxPrefetches(),
                    size("prefetchd.planner.max-prefetch-bytes", p.getMaxPrefetchBytes()), p.getStoreLatency(),
                    size("prefetchd.planner.store-bandwidth", p.getStoreBandwidth()),
                    size("prefetchd.planner.read-rate", p.getReadRate()), d.tick(), p.getIdleGap(), d.maxBackoff(),
                    p.getJobGrace());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new StartupException("bad prefetchd.planner setting: " + e.getMessage(), e);
        }
    }

    private static StagingSettings staging(GatewayConfig.Write w, Path dir) {
        try {
            StagingSettings d = StagingSettings.defaults(dir, size("prefetchd.write.staging-size", w.getStagingSize()));
            StagingSettings settings = new StagingSettings(dir, d.capacityBytes(), w.getUploadDelay(),
                    w.getCommitQuiet(), w.getMaxRenameKeys(), w.getUploadConcurrency(), d.minBackoff(),
                    d.maxBackoff(), size("prefetchd.write.streaming-part-size", w.getStreamingPartSize()),
                    w.isDirectIo());
            if (settings.streamingPartSize() > 0 && settings.streamingPartSize() < UploadSettings.S3_MIN_PART) {
                throw new IllegalArgumentException("streaming-part-size must be 0 (off) or at least 5MiB (S3's "
                        + "smallest part): " + w.getStreamingPartSize());
            }
            return settings;
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new StartupException("bad prefetchd.write setting: " + e.getMessage(), e);
        }
    }

    private static TracerConfig tracer(GatewayConfig.Tracer t, Path stateDir) {
        try {
            return TracerConfig.defaults(stateDir)
                    .withRetentionBytes(size("prefetchd.tracer.retention", t.getRetention()))
                    .withFlushInterval(t.getFlushInterval())
                    .withIdleGap(t.getIdleGap());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new StartupException("bad prefetchd.tracer setting: " + e.getMessage(), e);
        }
    }

    /** The fleet to join, or null when {@code prefetchd.fleet.members} names none. */
    private static @Nullable FleetSettings fleet(GatewayConfig.Fleet f) {
        if (f.getMembers() == null || f.getMembers().stream().allMatch(String::isBlank)) {
            return null;
        }
        try {
            return new FleetSettings(f.getName(), f.getBind(), f.getPort(), f.getMembers(), f.getPeerPort(),
                    f.getPeerTimeout(), f.getFailureTimeout(), f.getHandoverWindow(),
                    TokenSetting.read("prefetchd.fleet", f.getToken(), f.getTokenFile()));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new StartupException("bad prefetchd.fleet setting: " + e.getMessage(), e);
        }
    }

    /** The S3 endpoint's settings, or null when {@code prefetchd.s3-api.port} is -1 (off). */
    private static @Nullable S3ApiSettings s3Api(GatewayConfig c, Path stateDir) {
        GatewayConfig.S3Api a = c.getS3Api();
        if (a.getPort() == -1) {
            return null;
        }
        try {
            return new S3ApiSettings(a.getBind(), a.getPort(), a.getAccessKey(), a.getSecretKey(),
                    a.getVirtualHost(), c.getNfs().getMaxRead(), stateDir.resolve("s3-api"));
        } catch (IllegalArgumentException e) {
            throw new StartupException("prefetchd.s3-api: " + e.getMessage()
                    + " (set prefetchd.s3-api.access-key and secret-key, or PREFETCHD_S3_API_ACCESS_KEY/SECRET_KEY)", e);
        }
    }

    /** The hint API's settings, or null when it is off; its port and TLS files are tried as it starts. */
    private static GatewayConfig.@Nullable Grpc grpc(GatewayConfig.Grpc g) {
        if (!g.isEnabled()) {
            return null;
        }
        if (g.getMaxOrderLength() < 1) {
            throw new StartupException("prefetchd.grpc.max-order-length must be at least 1, not "
                    + g.getMaxOrderLength());
        }
        if (g.getPort() < 0 || g.getPort() > 65535) {
            throw new StartupException("prefetchd.grpc.port must be a TCP port, not " + g.getPort());
        }
        if (g.getMaxMessageSize() < 1024) {
            throw new StartupException("prefetchd.grpc.max-message-size must be at least 1024, not "
                    + g.getMaxMessageSize());
        }
        if (g.getTlsCert().isBlank() != g.getTlsKey().isBlank()) {
            throw new StartupException("prefetchd.grpc.tls-cert and prefetchd.grpc.tls-key go together");
        }
        return g;
    }

    /** Each entry of {@code prefetchd.datasets} is FORMAT:PATH; the datasets themselves are indexed later. */
    private static void checkDatasets(GatewayConfig c) {
        for (String e : c.getDatasets()) {
            int colon = e.indexOf(':');
            if (colon < 0 || DatasetKind.byName(e.substring(0, colon)).isEmpty()) {
                throw new StartupException("prefetchd.datasets: dataset '" + e + "' is not FORMAT:PATH with FORMAT one "
                        + "of " + DatasetKind.NAMES);
            }
        }
    }

    /** {@code value} as bytes, or a StartupException naming {@code key}. */
    static long size(String key, String value) {
        try {
            return Sizes.parse(value);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new StartupException(key + ": " + e.getMessage(), e);
        }
    }

    /** {@code prefetchd.access.*}: who may mount, and the owner and modes every file shows. */
    static final class Access {
        private Access() {
        }

        static ExportTable exports(GatewayConfig.Access a) {
            try {
                return ExportTable.parse(a.getExports());
            } catch (IllegalArgumentException e) {
                throw new StartupException("prefetchd.access.exports: " + e.getMessage(), e);
            }
        }

        /**
         * Modes left unset are 0444 for files and 0555 for directories on a read-only gateway, 0666 and 0777 on one
         * that takes writes ({@code writable}), since S3 objects carry no modes of their own and any admitted user
         * may then write them, as on a bucket.
         */
        static FileOwnership ownership(GatewayConfig.Access a, boolean writable) {
            try {
                return new FileOwnership(a.getUid(), a.getGid(),
                        mode("file-mode", a.getFileMode(), writable ? 0666 : 0444),
                        mode("dir-mode", a.getDirMode(), writable ? 0777 : 0555));
            } catch (IllegalArgumentException e) {
                throw new StartupException("prefetchd.access: " + e.getMessage(), e);
            }
        }

        private static int mode(String key, @Nullable String octal, int unset) {
            if (octal == null || octal.isBlank()) {
                return unset;
            }
            if (!octal.trim().matches("[0-7]{1,4}")) {
                throw new StartupException("prefetchd.access." + key + " must be an octal mode such as 0444, not '"
                        + octal + "'");
            }
            return Integer.parseInt(octal.trim(), 8);
        }
    }
}
