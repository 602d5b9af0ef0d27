package io.prefetchd.gateway.daemon;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.s3.S3ProxyFixture;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;

/** A gateway on a random loopback port over a bucket of an in-process S3Proxy, restartable over its state. */
public final class GatewayFixture implements AutoCloseable {
    final S3ProxyFixture s3;
    final String bucket;
    final Path stateDir;
    MeterRegistry registry;
    Gateway gateway;
    private int port;
    private PrefetchExecutor.PlannerFactory planners = PrefetchExecutor.PlannerFactory.LEARNED;
    private boolean writes;
    private URI endpoint;

    public GatewayFixture(S3ProxyFixture s3, String bucket, Path stateDir) {
        this.s3 = s3;
        this.bucket = bucket;
        this.stateDir = stateDir;
    }

    GatewayConfig config() {
        GatewayConfig c = new GatewayConfig();
        c.setStateDir(stateDir.toString());
        c.getS3().setEndpoint((endpoint != null ? endpoint : s3.endpoint()).toString());
        c.getS3().setBucket(bucket);
        c.getS3().setPathStyle(true);
        c.getS3().setAccessKey(S3ProxyFixture.ACCESS_KEY);
        c.getS3().setSecretKey(S3ProxyFixture.SECRET_KEY);
        c.getCache().setSize("256MiB");
        c.getNfs().setBind("127.0.0.1");
        c.getNfs().setPort(port);
        c.getNfs().setWorkers(8);
        c.getWrite().setEnabled(writes);
        return c;
    }

    /** A read-write gateway (writes staged and uploaded) from the next start on. */
    public GatewayFixture withWrites() {
        this.writes = true;
        return this;
    }

    /** S3 requests go to {@code port} on loopback (a fault proxy in front of the S3Proxy) from the next start on. */
    GatewayFixture through(int port) {
        this.endpoint = URI.create("http://127.0.0.1:" + port);
        return this;
    }

    /** Planners from {@code factory} from the next start on. */
    GatewayFixture withPlanners(PrefetchExecutor.PlannerFactory factory) {
        this.planners = factory;
        return this;
    }

    public GatewayFixture start() {
        registry = new SimpleMeterRegistry();
        GatewayConfig c = config();
        gateway = Gateway.start(c, GatewayAssembly.openStore(c.getS3(), registry), registry, Clock.systemUTC(), planners);
        port = gateway.nfsPort();   // a restart listens on the same port, as a restarted daemon would
        return this;
    }

    GatewayFixture restart() {
        gateway.close();
        return start();
    }

    /** The running gateway (for tests outside this package that start more on it, e.g. the S3 endpoint). */
    public Gateway gateway() {
        return gateway;
    }

    public int port() {
        return gateway.nfsPort();
    }

    /** NFS READ operations answered successfully since the last start. */
    public double nfsReads() {
        return registry.find("prefetchd.nfs.ops").tag("op", "READ").tag("status", "NFS4_OK").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    double s3Gets() {
        return registry.find("prefetchd.s3.requests").tag("op", "get").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.close();
        }
    }
}
