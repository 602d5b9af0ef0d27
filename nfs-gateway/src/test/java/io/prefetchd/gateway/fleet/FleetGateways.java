package io.prefetchd.gateway.fleet;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.daemon.GatewayConfig;
import io.prefetchd.gateway.prefetch.PrefetchExecutor;
import io.prefetchd.gateway.s3.S3ProxyFixture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * Gateways of one fleet in this JVM over one S3Proxy, on loopback, each with its own fleet port, NFS port and cache
 * folder. A member is started by its index, again after a crash with the same port and folder; {@link #close} closes
 * every one started.
 */
final class FleetGateways implements AutoCloseable {
    private static final Random RANDOM = new Random();
    /** Ports handed out in this JVM: never twice, so two members of one test (or a member still closing) never share. */
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    /** One gateway of the fleet and its meters. */
    record Member(Gateway gateway, MeterRegistry registry) {
        Fleet fleet() {
            return gateway.fleet().orElseThrow();
        }

        PrefetchExecutor planner() {
            return requireNonNull(gateway.prefetcher(), "the planner is on");
        }

        double counter(String name, String... tags) {
            var c = registry.find(name).tags(tags).counter();
            return c == null ? 0 : c.count();
        }
    }

    private final S3ProxyFixture s3;
    private final String bucket;
    private final Path dir;
    private final String name;
    private final Consumer<GatewayConfig> settings;
    private final int[] ports;
    private final Member[] members;

    /**
     * @param settings what the test sets beyond the common settings (cache size and grain, peer timeout, ...)
     */
    FleetGateways(S3ProxyFixture s3, String bucket, Path dir, String name, int size, Consumer<GatewayConfig> settings) {
        this.s3 = s3;
        this.bucket = bucket;
        this.dir = dir;
        this.name = name;
        this.settings = settings;
        this.ports = new int[size];
        this.members = new Member[size];
    }

    /** Starts member {@code i}, listing every member of the fleet to join. */
    Member start(int i) {
        return start(i, members.length);
    }

    /**
     * Starts member {@code i} (in place of the one it was) listing members {@code 0 .. listed - 1} to join. A member's
     * fleet port is taken when it is first listed, so a member started late does not count on a port reserved early.
     */
    Member start(int i, int listed) {
        List<String> join = new ArrayList<>();
        for (int k = 0; k < Math.max(listed, i + 1); k++) {
            if (ports[k] == 0) {
                ports[k] = freePort();
            }
            if (k < listed) {
                join.add("127.0.0.1:" + ports[k]);
            }
        }
        GatewayConfig c = new GatewayConfig();
        c.setStateDir(dir.resolve("member-" + i).toString());
        c.getS3().setEndpoint(s3.endpoint().toString());
        c.getS3().setBucket(bucket);
        c.getS3().setPathStyle(true);
        c.getS3().setAccessKey(S3ProxyFixture.ACCESS_KEY);
        c.getS3().setSecretKey(S3ProxyFixture.SECRET_KEY);
        c.getNfs().setBind("127.0.0.1");
        c.getNfs().setPort(0);
        c.getNfs().setWorkers(4);
        c.getFleet().setName(name);
        c.getFleet().setBind("127.0.0.1");
        c.getFleet().setPort(ports[i]);
        c.getFleet().setMembers(join);
        c.getFleet().setFailureTimeout(Duration.ofSeconds(3));
        settings.accept(c);
        MeterRegistry registry = new SimpleMeterRegistry();
        members[i] = new Member(Gateway.start(c, registry, Clock.systemUTC()), registry);
        return members[i];
    }

    /** Member {@code i}, as last started. */
    Member get(int i) {
        return requireNonNull(members[i], "member " + i + " was not started");
    }

    /** The members started, in index order. */
    List<Member> all() {
        return Arrays.stream(members).filter(m -> m != null).toList();
    }

    /** Whether every member started owns partitions and no migration is in flight. */
    boolean settled() {
        return all().stream().allMatch(m -> m.fleet().ownedPartitions() > 0
                && m.fleet().hazelcast().getPartitionService().isClusterSafe());
    }

    /** Waits for an outside engine's state (membership, planners re-planning), at most 60 s. */
    static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /**
     * A free port below the kernel's ephemeral range, so that the listeners on port 0 the members open meanwhile (NFS,
     * the peer channel, S3 clients' sockets) cannot take it before the member it is kept for starts. Never one
     * handed out before in this JVM: a test that asks for three ports gets three.
     */
    static int freePort() {
        for (int tries = 0; tries < 1000; tries++) {
            int port = 20_000 + RANDOM.nextInt(12_000);
            if (GIVEN.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                GIVEN.add(port);
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new UncheckedIOException(new IOException("no free port from 20000 to 31999"));
    }

    /** Closes every member started, each whatever the others do; throws the first failure, the rest suppressed. */
    @Override
    public void close() {
        RuntimeException failed = null;
        for (Member m : members) {
            if (m == null) {
                continue;
            }
            try {
                m.gateway().close();
            } catch (RuntimeException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
