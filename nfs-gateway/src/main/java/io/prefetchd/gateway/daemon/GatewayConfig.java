package io.prefetchd.gateway.daemon;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.prefetchd.gateway.fs.MetadataSettings;
import io.prefetchd.gateway.fs.staging.StagingSettings;
import io.prefetchd.gateway.nfs.rpc.NfsServer;
import io.prefetchd.gateway.s3.S3Settings;
import io.prefetchd.gateway.s3.UploadSettings;

import java.time.Duration;
import java.util.List;

/**
 * Every setting of the daemon, under {@code prefetchd.*}. Each can come from a YAML/properties file
 * ({@code --config FILE}), an environment variable ({@code PREFETCHD_S3_BUCKET} for {@code prefetchd.s3.bucket})
 * or a command-line flag; flags win over the environment, which wins over files. Documented in
 * docs/CONFIGURATION.md; defaults pinned by GatewayConfigTest.
 */
@ConfigurationProperties("prefetchd")
public class GatewayConfig {
    /** Folder for the extent cache's index-free layout, file handle table and (later) traces and indexes. */
    private String stateDir = "./prefetchd-state";
    /**
     * The address every listener (NFS, gRPC, HTTP) binds unless its own setting says otherwise: application.yml sets
     * {@code prefetchd.nfs.bind}, {@code prefetchd.grpc.bind} and {@code micronaut.server.host} to
     * {@code ${prefetchd.bind}}. All interfaces by default, so training nodes that reach the NFS port reach the hint
     * API too; {@code demo} uses loopback.
     */
    private String bind = "0.0.0.0";
    private S3 s3 = new S3();
    private Cache cache = new Cache();
    private Nfs nfs = new Nfs();
    private Tracer tracer = new Tracer();
    private Grpc grpc = new Grpc();
    /** Datasets indexed at start-up, as {@code FORMAT:PATH} (PATH inside the export), e.g. {@code webdataset:train}. */
    private List<String> datasets = List.of();
    private Planner planner = new Planner();
    private Access access = new Access();
    private Http http = new Http();
    private Log log = new Log();
    private S3Api s3Api = new S3Api();
    private Write write = new Write();
    private Fleet fleet = new Fleet();
    private Reports reports = new Reports();

    public String getStateDir() {
        return stateDir;
    }

    public void setStateDir(String stateDir) {
        this.stateDir = stateDir;
    }

    public S3 getS3() {
        return s3;
    }

    public Write getWrite() {
        return write;
    }

    public void setWrite(Write write) {
        this.write = write;
    }

    public String getBind() {
        return bind;
    }

    public void setBind(String bind) {
        this.bind = bind;
    }

    public void setS3(S3 s3) {
        this.s3 = s3;
    }

    public Cache getCache() {
        return cache;
    }

    public void setCache(Cache cache) {
        this.cache = cache;
    }

    public Nfs getNfs() {
        return nfs;
    }

    public void setNfs(Nfs nfs) {
        this.nfs = nfs;
    }

    public Grpc getGrpc() {
        return grpc;
    }

    public void setGrpc(Grpc grpc) {
        this.grpc = grpc;
    }

    public List<String> getDatasets() {
        return datasets;
    }

    public void setDatasets(List<String> datasets) {
        this.datasets = List.copyOf(datasets);
    }

    public Planner getPlanner() {
        return planner;
    }

    public void setPlanner(Planner planner) {
        this.planner = planner;
    }

    /**
     * The prefetch planner and its executor (docs/CONFIGURATION.md). Off, the cache is a plain LRU cache of what
     * readers asked for; on, datasets the gateway indexed are fetched ahead of their readers.
     */
    @ConfigurationProperties("planner")
    public static class Planner {
        private boolean enabled = true;
        /** Share of the cache the planners may fill; the rest holds reads of files no planner knows. */
        private double cacheShare = 0.99;
        /** Prefetch GETs in flight at once (demand reads do not count and never wait for these). */
        private int maxPrefetches = 96;
        /** Bytes of prefetch GETs in flight at once. */
        private String maxPrefetchBytes = "256MiB";
        /** Starting estimate of S3's first-byte latency (then measured from real GETs). */
        private Duration storeLatency = Duration.ofMillis(40);
        /** Starting estimate of S3's bandwidth per second (then measured). */
        private String storeBandwidth = "200MiB";
        /** Starting estimate of a reader's consumption per second (then measured). */
        private String readRate = "200MiB";
        /** A dataset without hints whose reads stop this long has finished its epoch. */
        private Duration idleGap = Duration.ofSeconds(30);
        /** How long a dataset whose job ended every epoch it announced keeps its share of the cache. */
        private Duration jobGrace = Duration.ofSeconds(30);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public double getCacheShare() {
            return cacheShare;
        }

        public void setCacheShare(double cacheShare) {
            this.cacheShare = cacheShare;
        }

        public int getMaxPrefetches() {
            return maxPrefetches;
        }

        public void setMaxPrefetches(int maxPrefetches) {
            this.maxPrefetches = maxPrefetches;
        }

        public String getMaxPrefetchBytes() {
            return maxPrefetchBytes;
        }

        public void setMaxPrefetchBytes(String maxPrefetchBytes) {
            this.maxPrefetchBytes = maxPrefetchBytes;
        }

        public Duration getStoreLatency() {
            return storeLatency;
        }

        public void setStoreLatency(Duration storeLatency) {
            this.storeLatency = storeLatency;
        }

        public String getStoreBandwidth() {
            return storeBandwidth;
        }

        public void setStoreBandwidth(String storeBandwidth) {
            this.storeBandwidth = storeBandwidth;
        }

        public String getReadRate() {
            return readRate;
        }

        public void setReadRate(String readRate) {
            this.readRate = readRate;
        }

        public Duration getIdleGap() {
            return idleGap;
        }

        public void setIdleGap(Duration idleGap) {
            this.idleGap = idleGap;
        }

        public Duration getJobGrace() {
            return jobGrace;
        }

        public void setJobGrace(Duration jobGrace) {
            this.jobGrace = jobGrace;
        }
    }

    /** The epoch-order hint API (gRPC, prefetchd.v1.Hints). */
    @ConfigurationProperties("grpc")
    public static class Grpc {
        private boolean enabled = true;
        /** Follows {@code prefetchd.bind} unless set (application.yml): reachable wherever the NFS port is. */
        private String bind = "0.0.0.0";
        /** 0 = any free port. */
        private int port = 50051;
        /** When set, every call needs metadata {@code authorization: Bearer <token>}. */
        private String token = "";
        /** A file holding the token (e.g. a mounted Kubernetes secret); read once at start. */
        private String tokenFile = "";
        /** Largest message accepted (a chunk of an order). */
        private int maxMessageSize = 4 << 20;
        /** Longest order accepted in one PublishEpoch stream, in samples. */
        private int maxOrderLength = 100_000_000;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getBind() {
            return bind;
        }

        public void setBind(String bind) {
            this.bind = bind;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int port) {
            this.port = port;
        }

        public String getToken() {
            return token;
        }

        public void setToken(String token) {
            this.token = token;
        }

        public String getTokenFile() {
            return tokenFile;
        }

        public void setTokenFile(String tokenFile) {
            this.tokenFile = tokenFile;
        }

        public int getMaxMessageSize() {
            return maxMessageSize;
        }

        public void setMaxMessageSize(int maxMessageSize) {
            this.maxMessageSize = maxMessageSize;
        }

        public int getMaxOrderLength() {
            return maxOrderLength;
        }

        public void setMaxOrderLength(int maxOrderLength) {
            this.maxOrderLength = maxOrderLength;
        }

        /** PEM certificate chain; with {@code tls-key}, the hint API speaks TLS only. */
        private String tlsCert = "";
        /** PEM private key (PKCS#8, unencrypted) of {@code tls-cert}. */
        private String tlsKey = "";

        public String getTlsCert() {
            return tlsCert;
        }

        public void setTlsCert(String tlsCert) {
            this.tlsCert = tlsCert;
        }

        public String getTlsKey() {
            return tlsKey;
        }

        public void setTlsKey(String tlsKey) {
            this.tlsKey = tlsKey;
        }
    }

    public Tracer getTracer() {
        return tracer;
    }

    public void setTracer(Tracer tracer) {
        this.tracer = tracer;
    }

    /** The access tracer: every READ recorded into per-epoch Arrow files (docs/TRACES.md). */
    @ConfigurationProperties("tracer")
    public static class Tracer {
        private boolean enabled = true;
        /** Total size of trace files kept under {@code <state-dir>/traces}; the oldest epochs go first. */
        private String retention = "10GiB";
        /** How often buffered records are written out: a crash loses at most about this much. */
        private Duration flushInterval = Duration.ofSeconds(1);
        /** A dataset's epoch ends after this long without reads (when no hint says otherwise). */
        private Duration idleGap = Duration.ofSeconds(60);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getRetention() {
            return retention;
        }

        public void setRetention(String retention) {
            this.retention = retention;
        }

        public Duration getFlushInterval() {
            return flushInterval;
        }

        public void setFlushInterval(Duration flushInterval) {
            this.flushInterval = flushInterval;
        }

        public Duration getIdleGap() {
            return idleGap;
        }

        public void setIdleGap(Duration idleGap) {
            this.idleGap = idleGap;
        }
    }

    @ConfigurationProperties("s3")
    public static class S3 {
        /** S3 endpoint URL; empty means AWS S3 itself (the SDK resolves the regional endpoint). */
        private String endpoint = "";
        /** Region; empty means the SDK's chain (AWS_REGION, profile, IMDS) for AWS, us-east-1 with an endpoint. */
        private String region = "";
        private String bucket = "";
        /** Key prefix the export shows as its root. */
        private String prefix = "";
        /** Path-style addressing (MinIO, S3Proxy, most S3-compatible stores). */
        private boolean pathStyle = false;
        /** Static credentials; empty means the AWS default provider chain (environment, profile, IMDS...). */
        private String accessKey = "";
        private String secretKey = "";
        private int maxConcurrency = 128;
        private int maxAttempts = 4;
        private Duration apiCallTimeout = Duration.ofSeconds(30);
        /** How long opening a connection to S3 may take. */
        private Duration connectTimeout = S3Settings.DEFAULT_CONNECT_TIMEOUT;
        /** How long a connection may stay silent before its attempt fails (not the length of a transfer). */
        private Duration readTimeout = S3Settings.DEFAULT_READ_TIMEOUT;
        /** Write requests (PUTs, parts, copies) in flight at once, all uploads together. */
        private int uploadConcurrency = UploadSettings.DEFAULT_CONCURRENCY;

        public String getEndpoint() {
            return endpoint;
        }

        public void setEndpoint(String endpoint) {
            this.endpoint = endpoint;
        }

        public String getRegion() {
            return region;
        }

        public void setRegion(String region) {
            this.region = region;
        }

        public String getBucket() {
            return bucket;
        }

        public void setBucket(String bucket) {
            this.bucket = bucket;
        }

        public String getPrefix() {
            return prefix;
        }

        public void setPrefix(String prefix) {
            this.prefix = prefix;
        }

        public boolean isPathStyle() {
            return pathStyle;
        }

        public void setPathStyle(boolean pathStyle) {
            this.pathStyle = pathStyle;
        }

        public String getAccessKey() {
            return accessKey;
        }

        public void setAccessKey(String accessKey) {
            this.accessKey = accessKey;
        }

        public String getSecretKey() {
            return secretKey;
        }

        public void setSecretKey(String secretKey) {
            this.secretKey = secretKey;
        }

        public int getMaxConcurrency() {
            return maxConcurrency;
        }

        public void setMaxConcurrency(int maxConcurrency) {
            this.maxConcurrency = maxConcurrency;
        }

        public int getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        public Duration getApiCallTimeout() {
            return apiCallTimeout;
        }

        public void setApiCallTimeout(Duration apiCallTimeout) {
            this.apiCallTimeout = apiCallTimeout;
        }

        public Duration getConnectTimeout() {
            return connectTimeout;
        }

        public void setConnectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
        }

        public Duration getReadTimeout() {
            return readTimeout;
        }

        public void setReadTimeout(Duration readTimeout) {
            this.readTimeout = readTimeout;
        }

        public int getUploadConcurrency() {
            return uploadConcurrency;
        }

        public void setUploadConcurrency(int uploadConcurrency) {
            this.uploadConcurrency = uploadConcurrency;
        }
    }

    @ConfigurationProperties("cache")
    public static class Cache {
        /** Cache folder; empty means {@code <state-dir>/cache}. */
        private String dir = "";
        /** Capacity, e.g. 100GiB, 512MiB, or a number of bytes. */
        private String size = "10GiB";
        /** Grain of cached extents in bytes: a power of two from 4 KiB to 256 KiB. */
        private int grain = 128 * 1024;

        public String getDir() {
            return dir;
        }

        public void setDir(String dir) {
            this.dir = dir;
        }

        public String getSize() {
            return size;
        }

        public void setSize(String size) {
            this.size = size;
        }

        public int getGrain() {
            return grain;
        }

        public void setGrain(int grain) {
            this.grain = grain;
        }
    }

    @ConfigurationProperties("nfs")
    public static class Nfs {
        /** Follows {@code prefetchd.bind} unless set (application.yml). */
        private String bind = "0.0.0.0";
        private int port = 2049;
        /** Threads that execute COMPOUNDs (a READ may wait on S3, so more than cores). */
        private int workers = 32;
        private Duration leaseTime = Duration.ofSeconds(60);
        /** How long attributes and directory listings are trusted before S3 is asked again. */
        private Duration attributeTtl = Duration.ofSeconds(30);
        /** While S3 cannot be asked, metadata up to this old is still served (stale-if-error). */
        private Duration maxStale = MetadataSettings.DEFAULT_MAX_STALE;
        /** How often the names of an indexed dataset are listed again in bulk. */
        private Duration datasetRefresh = MetadataSettings.DEFAULT_DATASET_REFRESH;
        /** Heap for directory listings read from S3, and as much again for older snapshots READDIR pages through. */
        private String listingCacheSize = "256MiB";
        /** Largest READ (the client's rsize is min(1 MiB, this)). */
        private int maxRead = 1 << 20;
        /** Largest RPC record a client may send (fragment headers included); a larger one closes the connection. */
        private int maxRecordSize = (int) NfsServer.ConnectionLimits.defaults().maxRecordBytes();
        /** A connection with no traffic for this long is closed (the client reconnects). */
        private Duration idleTimeout = NfsServer.ConnectionLimits.defaults().idleTimeout();

        public String getBind() {
            return bind;
        }

        public void setBind(String bind) {
            this.bind = bind;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int port) {
            this.port = port;
        }

        public int getWorkers() {
            return workers;
        }

        public void setWorkers(int workers) {
            this.workers = workers;
        }

        public Duration getLeaseTime() {
            return leaseTime;
        }

        public void setLeaseTime(Duration leaseTime) {
            this.leaseTime = leaseTime;
        }

        public Duration getAttributeTtl() {
            return attributeTtl;
        }

        public void setAttributeTtl(Duration attributeTtl) {
            this.attributeTtl = attributeTtl;
        }

        public Duration getMaxStale() {
            return maxStale;
        }

        public void setMaxStale(Duration maxStale) {
            this.maxStale = maxStale;
        }

        public Duration getDatasetRefresh() {
            return datasetRefresh;
        }

        public void setDatasetRefresh(Duration datasetRefresh) {
            this.datasetRefresh = datasetRefresh;
        }

        public String getListingCacheSize() {
            return listingCacheSize;
        }

        public void setListingCacheSize(String listingCacheSize) {
            this.listingCacheSize = listingCacheSize;
        }

        public int getMaxRead() {
            return maxRead;
        }

        public void setMaxRead(int maxRead) {
            this.maxRead = maxRead;
        }

        public int getMaxRecordSize() {
            return maxRecordSize;
        }

        public void setMaxRecordSize(int maxRecordSize) {
            this.maxRecordSize = maxRecordSize;
        }

        public Duration getIdleTimeout() {
            return idleTimeout;
        }

        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }
    }

    public Access getAccess() {
        return access;
    }

    public void setAccess(Access access) {
        this.access = access;
    }

    public Http getHttp() {
        return http;
    }

    public void setHttp(Http http) {
        this.http = http;
    }

    public Log getLog() {
        return log;
    }

    public void setLog(Log log) {
        this.log = log;
    }

    /**
     * Who may mount, and how files look (docs/CONFIGURATION.md, "Access control"). S3 has no owners or modes, so
     * one owner and one mode per kind stand for all; ACCESS answers by them for the caller's squashed identity.
     */
    @ConfigurationProperties("access")
    public static class Access {
        /** Export rules, first match wins: {@code RANGE [ro|rw] [root-squash|all-squash|no-squash] [anon-uid=N] [anon-gid=N]}. */
        private List<String> exports = io.prefetchd.gateway.nfs.access.ExportTable.DEFAULT;
        /** Owner uid every file and directory shows. */
        private int uid = 0;
        /** Owner gid every file and directory shows. */
        private int gid = 0;
        /** Mode of every file, in octal; empty: 0444, or 0666 when the gateway takes writes. */
        private String fileMode = "";
        /** Mode of every directory, in octal; empty: 0555, or 0777 when the gateway takes writes. */
        private String dirMode = "";

        public List<String> getExports() {
            return exports;
        }

        public void setExports(List<String> exports) {
            this.exports = List.copyOf(exports);
        }

        public int getUid() {
            return uid;
        }

        public void setUid(int uid) {
            this.uid = uid;
        }

        public int getGid() {
            return gid;
        }

        public void setGid(int gid) {
            this.gid = gid;
        }

        public String getFileMode() {
            return fileMode;
        }

        public void setFileMode(String fileMode) {
            this.fileMode = fileMode;
        }

        public String getDirMode() {
            return dirMode;
        }

        public void setDirMode(String dirMode) {
            this.dirMode = dirMode;
        }
    }

    /** The HTTP port's own settings (its address and port are {@code micronaut.server.host/port}). */
    @ConfigurationProperties("http")
    public static class Http {
        /** When set, every path but /health and /ready needs {@code Authorization: Bearer <token>}. */
        private String token = "";
        /** A file holding the token (e.g. a mounted Kubernetes secret); read once at start. */
        private String tokenFile = "";
        /** With a token: true leaves /metrics open for scrapers without credentials. */
        private boolean metricsOpen = false;
        /** PEM certificate chain; with {@code tls-key}, the port speaks HTTPS only. */
        private String tlsCert = "";
        /** PEM private key (PKCS#8, unencrypted) of {@code tls-cert}. */
        private String tlsKey = "";

        public String getToken() {
            return token;
        }

        public void setToken(String token) {
            this.token = token;
        }

        public String getTokenFile() {
            return tokenFile;
        }

        public void setTokenFile(String tokenFile) {
            this.tokenFile = tokenFile;
        }

        public boolean isMetricsOpen() {
            return metricsOpen;
        }

        public void setMetricsOpen(boolean metricsOpen) {
            this.metricsOpen = metricsOpen;
        }

        public String getTlsCert() {
            return tlsCert;
        }

        public void setTlsCert(String tlsCert) {
            this.tlsCert = tlsCert;
        }

        public String getTlsKey() {
            return tlsKey;
        }

        public void setTlsKey(String tlsKey) {
            this.tlsKey = tlsKey;
        }
    }

    /** Logging besides stderr: an optional file, rotated by size and day. */
    @ConfigurationProperties("log")
    public static class Log {
        /** Log file; empty logs to stderr only. */
        private String file = "";
        /** A file is rolled over when it reaches this size (and at midnight UTC). */
        private String maxFileSize = "100MiB";
        /** Days of rolled-over files kept. */
        private int maxHistory = 14;
        /** Rolled-over files kept in all, at most (the oldest go first). */
        private String maxTotalSize = "2GiB";

        public String getMaxTotalSize() {
            return maxTotalSize;
        }

        public void setMaxTotalSize(String maxTotalSize) {
            this.maxTotalSize = maxTotalSize;
        }

        public String getFile() {
            return file;
        }

        public void setFile(String file) {
            this.file = file;
        }

        public String getMaxFileSize() {
            return maxFileSize;
        }

        public void setMaxFileSize(String maxFileSize) {
            this.maxFileSize = maxFileSize;
        }

        public int getMaxHistory() {
            return maxHistory;
        }

        public void setMaxHistory(int maxHistory) {
            this.maxHistory = maxHistory;
        }
    }

    public Fleet getFleet() {
        return fleet;
    }

    public Reports getReports() {
        return reports;
    }

    public void setReports(Reports reports) {
        this.reports = reports;
    }

    /** Epoch reports kept in memory and under {@code <state-dir>/reports} (docs/REPORTS.md). */
    @ConfigurationProperties("reports")
    public static class Reports {
        /** Completed reports kept per (dataset, job); the oldest go first. */
        private int keepPerJob = 50;
        /** Completed reports kept in all. */
        private int maxReports = 2000;

        public int getKeepPerJob() {
            return keepPerJob;
        }

        public void setKeepPerJob(int keepPerJob) {
            this.keepPerJob = keepPerJob;
        }

        public int getMaxReports() {
            return maxReports;
        }

        public void setMaxReports(int maxReports) {
            this.maxReports = maxReports;
        }
    }

    public void setFleet(Fleet fleet) {
        this.fleet = fleet;
    }

    /**
     * Membership of a gateway fleet (off unless {@code members} is set): the members' caches add up, each block has
     * one owner, and a member reads blocks it does not own from their owner (fleet/, docs/FLEET.md).
     */
    @ConfigurationProperties("fleet")
    public static class Fleet {
        /** The fleet's name: gateways join only members of the same name. */
        private String name = "prefetchd";
        /** Follows {@code prefetchd.bind} unless set (application.yml). */
        private String bind = "0.0.0.0";
        /** TCP port of the membership protocol. */
        private int port = 5701;
        /** The fleet's members as {@code host:port} (this gateway may be among them); empty = no fleet. */
        private List<String> members = List.of();
        /** TCP port of the peer data channel (block reads between members); 0 = any free port. */
        private int peerPort = 0;
        /** How long a read waits for a block from its owner before reading it from S3 itself. */
        private Duration peerTimeout = Duration.ofSeconds(5);
        /** How long a silent member stays a member: then its blocks get new owners. */
        private Duration failureTimeout = Duration.ofSeconds(10);
        /** How long after a block moved here its previous owner is asked for it before S3; 0 = never. */
        private Duration handoverWindow = Duration.ofHours(1);
        /** The fleet's shared secret: peer reads must carry it, and only members with it join; empty = none. */
        private String token = "";
        /** A file holding the token (e.g. a mounted Kubernetes secret); read once at start. */
        private String tokenFile = "";

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public String getBind() {
            return bind;
        }

        public void setBind(String bind) {
            this.bind = bind;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int port) {
            this.port = port;
        }

        public List<String> getMembers() {
            return members;
        }

        public void setMembers(List<String> members) {
            this.members = members;
        }

        public int getPeerPort() {
            return peerPort;
        }

        public void setPeerPort(int peerPort) {
            this.peerPort = peerPort;
        }

        public Duration getPeerTimeout() {
            return peerTimeout;
        }

        public void setPeerTimeout(Duration peerTimeout) {
            this.peerTimeout = peerTimeout;
        }

        public Duration getFailureTimeout() {
            return failureTimeout;
        }

        public void setFailureTimeout(Duration failureTimeout) {
            this.failureTimeout = failureTimeout;
        }

        public Duration getHandoverWindow() {
            return handoverWindow;
        }

        public void setHandoverWindow(Duration handoverWindow) {
            this.handoverWindow = handoverWindow;
        }

        public String getToken() {
            return token;
        }

        public void setToken(String token) {
            this.token = token;
        }

        public String getTokenFile() {
            return tokenFile;
        }

        public void setTokenFile(String tokenFile) {
            this.tokenFile = tokenFile;
        }
    }

    public S3Api getS3Api() {
        return s3Api;
    }

    public void setS3Api(S3Api s3Api) {
        this.s3Api = s3Api;
    }

    /** The S3-compatible endpoint serving the export as one bucket (off unless a port is set). */
    @ConfigurationProperties("s3-api")
    public static class S3Api {
        /** TCP port; -1 = off, 0 = any free port. */
        private int port = -1;
        /** Follows {@code prefetchd.bind} unless set (application.yml). */
        private String bind = "0.0.0.0";
        /** The access key id clients sign requests with (required when the endpoint is on). */
        private String accessKey = "";
        private String secretKey = "";
        /** The endpoint's host name for virtual-host style requests ({@code bucket.HOST}); empty: path style only. */
        private String virtualHost = "";

        public boolean isEnabled() {
            return port >= 0;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int port) {
            this.port = port;
        }

        public String getBind() {
            return bind;
        }

        public void setBind(String bind) {
            this.bind = bind;
        }

        public String getAccessKey() {
            return accessKey;
        }

        public void setAccessKey(String accessKey) {
            this.accessKey = accessKey;
        }

        public String getSecretKey() {
            return secretKey;
        }

        public void setSecretKey(String secretKey) {
            this.secretKey = secretKey;
        }

        public String getVirtualHost() {
            return virtualHost;
        }

        public void setVirtualHost(String virtualHost) {
            this.virtualHost = virtualHost;
        }
    }

    /**
     * Writes through the mount (docs/SEMANTICS.md, "Writes"): off by default, so that a mount of the canonical bucket
     * is read-only unless asked; written files are staged on local disk and uploaded when closed.
     */
    @ConfigurationProperties("write")
    public static class Write {
        private boolean enabled = false;
        /** Staging folder; empty means {@code <state-dir>/staging}. Local disk, not the bucket's mount. */
        private String stagingDir = "";
        /** Bytes staged at most (written files not yet in S3); a write beyond answers ENOSPC. */
        private String stagingSize = "10GiB";
        /** How long a closed file waits before its upload, so a temporary file renamed into place is not copied. */
        private Duration uploadDelay = StagingSettings.DEFAULT_UPLOAD_DELAY;
        /** A file held open is uploaded once committed (fsync) and then not written for this long. */
        private Duration commitQuiet = StagingSettings.DEFAULT_COMMIT_QUIET;
        /** A directory with more keys than this is not renamed (EXDEV: mv copies instead). */
        private int maxRenameKeys = StagingSettings.DEFAULT_MAX_RENAME_KEYS;
        /** Files uploaded at once. */
        private int uploadConcurrency = StagingSettings.DEFAULT_UPLOAD_CONCURRENCY;
        /** Part size of uploads that run while a file is written; 0 turns them off. */
        private String streamingPartSize = "16MiB";
        /** Whole aligned blocks of staged files around the page cache, where the file system allows it. */
        private boolean directIo = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getStagingDir() {
            return stagingDir;
        }

        public void setStagingDir(String stagingDir) {
            this.stagingDir = stagingDir;
        }

        public String getStagingSize() {
            return stagingSize;
        }

        public void setStagingSize(String stagingSize) {
            this.stagingSize = stagingSize;
        }

        public Duration getUploadDelay() {
            return uploadDelay;
        }

        public void setUploadDelay(Duration uploadDelay) {
            this.uploadDelay = uploadDelay;
        }

        public Duration getCommitQuiet() {
            return commitQuiet;
        }

        public void setCommitQuiet(Duration commitQuiet) {
            this.commitQuiet = commitQuiet;
        }

        public int getMaxRenameKeys() {
            return maxRenameKeys;
        }

        public void setMaxRenameKeys(int maxRenameKeys) {
            this.maxRenameKeys = maxRenameKeys;
        }

        public int getUploadConcurrency() {
            return uploadConcurrency;
        }

        public void setUploadConcurrency(int uploadConcurrency) {
            this.uploadConcurrency = uploadConcurrency;
        }

        public String getStreamingPartSize() {
            return streamingPartSize;
        }

        public void setStreamingPartSize(String streamingPartSize) {
            this.streamingPartSize = streamingPartSize;
        }

        public boolean isDirectIo() {
            return directIo;
        }

        public void setDirectIo(boolean directIo) {
            this.directIo = directIo;
        }
    }
}
