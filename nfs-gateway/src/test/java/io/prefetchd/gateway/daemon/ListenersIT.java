package io.prefetchd.gateway.daemon;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The daemon's listeners through {@code prefetchd serve} and a real S3 server (S3Proxy in-process): a port that is
 * taken fails the start before anything is served, naming the port and its holder; {@code --bind} moves the gRPC
 * hint API with the NFS and HTTP listeners.
 */
class ListenersIT {
    private static final String BUCKET = "listeners-it";
    private static S3ProxyFixture s3;

    @BeforeAll
    static void start() {
        s3 = S3ProxyFixture.start();
        s3.createBucket(BUCKET);
        s3.put(BUCKET, "hello.txt", "hello".getBytes());
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** S3 settings in a config file, as an operator passes them; listeners on the command line. */
    private static Path config(Path dir) throws IOException {
        return Files.writeString(dir.resolve("prefetchd.yml"), """
                prefetchd:
                  s3:
                    endpoint: %s
                    path-style: true
                    access-key: %s
                    secret-key: %s
                """.formatted(s3.endpoint(), S3ProxyFixture.ACCESS_KEY, S3ProxyFixture.SECRET_KEY));
    }

    @Test
    void aTakenGrpcOrHttpPort_failsTheStartBeforeNfsIsServed_namingThePortAndItsHolder(@TempDir Path dir)
            throws Exception {
        for (String taken : List.of("--grpc-port", "--http-port")) {
            Path state = dir.resolve(taken.substring(2));
            int nfsPort = freePort();
            try (ServerSocket holder = new ServerSocket()) {
                holder.bind(new InetSocketAddress("127.0.0.1", 0));
                int port = holder.getLocalPort();
                Map<String, String> ports = new LinkedHashMap<>(Map.of("--grpc-port", "0", "--http-port", "0"));
                ports.put(taken, String.valueOf(port));
                StringWriter err = new StringWriter();
                int status = Main.run(new String[] {"serve", "--bucket", BUCKET, "--config", config(dir).toString(),
                        "--state-dir", state.toString(), "--bind", "127.0.0.1", "--nfs-port",
                        String.valueOf(nfsPort), "--grpc-port", ports.get("--grpc-port"), "--http-port",
                        ports.get("--http-port")}, new PrintWriter(new StringWriter(), true),
                        new PrintWriter(err, true));

                assertEquals(1, status, err.toString());
                String line = err.toString().strip();
                assertEquals(1, line.lines().count(), line);
                String what = taken.equals("--grpc-port") ? "the gRPC hint API" : "HTTP";
                assertTrue(line.startsWith("prefetchd: cannot listen for " + what + " on 127.0.0.1:" + port + " ("
                        + taken + "/"), line);
                assertTrue(line.contains("; the port is held by pid " + ProcessHandle.current().pid() + " ("), line);
                assertFalse(Files.exists(state.resolve("cache")), "the gateway never started: " + line);
                try (ServerSocket nfs = new ServerSocket()) {
                    nfs.bind(new InetSocketAddress("127.0.0.1", nfsPort));   // NFS never held its port
                }
            }
        }
    }

    @Test
    void grpc_followsBind_withNfsAndHttp(@TempDir Path dir) throws Exception {
        Main.Serve serve = new Main.Serve();
        new CommandLine(serve).parseArgs("--bucket", BUCKET, "--config", config(dir).toString(),
                "--state-dir", dir.resolve("state").toString(), "--bind", "127.0.0.2", "--nfs-port", "0",
                "--grpc-port", "0", "--http-port", "-1");
        Map<String, Object> p = new LinkedHashMap<>();
        serve.common.into(p);
        p.put("prefetchd.s3.bucket", BUCKET);
        try (ApplicationContext ctx = Daemon.start(p, serve.common.config)) {
            int grpc = ctx.getBean(HintServer.class).port();
            int nfs = ctx.getBean(Gateway.class).nfsPort();
            int http = Daemon.httpPort(ctx);
            for (int port : new int[] {grpc, nfs, http}) {
                try (Socket s = new Socket("127.0.0.2", port)) {
                    assertTrue(s.isConnected());
                }
                assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(),
                        "port " + port + " listens on 127.0.0.2 only");
            }
        }
    }
}
