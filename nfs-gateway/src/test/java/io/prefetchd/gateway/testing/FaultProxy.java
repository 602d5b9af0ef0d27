package io.prefetchd.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder on loopback in front of an S3 endpoint, for fault injection: it passes traffic, refuses
 * connections (nothing listens on its port), or blackholes them (connections are accepted, and nothing is
 * forwarded either way, on new and existing connections alike). It also counts the HTTP requests it sees by
 * kind ({@code GET}, {@code HEAD}, {@code LIST}), as S3's own request counters would: the gateway sends no
 * request bodies on its read path, so each request starts right after the previous one's blank line.
 *
 * <p>Thread-safe; one thread per connection direction.
 */
public final class FaultProxy implements AutoCloseable {
    /** What the proxy does with traffic. */
    public enum Mode { PASS, REFUSE, BLACKHOLE }

    private final int targetPort;
    private final int port;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private volatile Mode mode = Mode.PASS;
    private volatile ServerSocket server;

    private FaultProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = listen(0);
        this.port = server.getLocalPort();
        accept(server);
    }

    /** A proxy to {@code 127.0.0.1:targetPort}, passing traffic. */
    public static FaultProxy start(int targetPort) throws IOException {
        return new FaultProxy(targetPort);
    }

    public int port() {
        return port;
    }

    /** Requests of {@code kind} (GET, HEAD, LIST, OTHER) seen so far, forwarded or not. */
    public long count(String kind) {
        AtomicLong c = counts.get(kind);
        return c == null ? 0 : c.get();
    }

    /**
     * Switches mode. REFUSE closes the listener and every connection; the others listen again on the same port, and
     * leaving BLACKHOLE closes the connections whose bytes it dropped.
     */
    public synchronized void mode(Mode m) throws IOException {
        Mode was = mode;
        mode = m;
        if (was == Mode.BLACKHOLE && m == Mode.PASS) {
            closeAll();   // their bytes were dropped midway: no HTTP framing survives that
        }
        if (m == Mode.REFUSE) {
            server.close();
            closeAll();
        } else if (server.isClosed()) {
            server = listen(port);
            accept(server);
        }
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return s;
    }

    private void accept(ServerSocket s) {
        threads.execute(() -> {
            while (!s.isClosed()) {
                try {
                    Socket client = s.accept();
                    sockets.add(client);
                    threads.execute(() -> connect(client));
                } catch (IOException e) {
                    return;   // closed
                }
            }
        });
    }

    private void connect(Socket client) {
        try {
            Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
            sockets.add(upstream);
            threads.execute(() -> pump(upstream, client, false));
            pump(client, upstream, true);
        } catch (IOException e) {
            close(client);
        }
    }

    private void pump(Socket from, Socket to, boolean requests) {
        StringBuilder line = new StringBuilder();
        boolean atRequest = true;
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (requests) {
                    for (int i = 0; i < n; i++) {
                        char c = (char) (buf[i] & 0xff);
                        if (c != '\n') {
                            if (line.length() < 4096) {
                                line.append(c);
                            }
                            continue;
                        }
                        String l = line.toString().trim();
                        line.setLength(0);
                        if (atRequest && !l.isEmpty()) {
                            counts.computeIfAbsent(kindOf(l), k -> new AtomicLong()).incrementAndGet();
                            atRequest = false;
                        } else if (l.isEmpty()) {
                            atRequest = true;
                        }
                    }
                }
                if (mode == Mode.PASS) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // the other side or the proxy closed the connection
        } finally {
            close(from);
            close(to);
        }
    }

    static String kindOf(String requestLine) {
        if (requestLine.startsWith("HEAD ")) {
            return "HEAD";
        }
        if (requestLine.startsWith("GET ")) {
            return requestLine.contains("list-type=2") || requestLine.matches("GET /[^/?]*/?(\\?.*)? HTTP.*")
                    ? "LIST" : "GET";
        }
        return "OTHER";
    }

    private void closeAll() {
        for (Socket s : sockets) {
            close(s);
        }
    }

    private void close(Socket s) {
        sockets.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public synchronized void close() throws IOException {
        server.close();
        closeAll();
        threads.shutdownNow();
    }
}
