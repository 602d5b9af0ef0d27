package io.prefetchd.gateway.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A TCP forwarder on loopback in front of an S3 endpoint, for fault injection: it passes traffic, refuses
 * connections (nothing listens on its port), or blackholes them (connections are accepted, and nothing is
 * forwarded either way, on new and existing connections alike). It also counts the HTTP requests it sees by
 * kind ({@code GET}, {@code HEAD}, {@code LIST}, {@code OTHER}), as S3's own request counters would.
 *
 * <p>Requests are framed (head, then a {@code Content-Length} body), so single requests can be failed:
 * {@link #failNext} answers the next requests whose request line matches with an S3 error status, or resets
 * their connection, without forwarding them. A request with a chunked body ends the framing of its connection
 * (the rest of it is passed through unframed); the AWS SDK sends uploads with a length.
 *
 * <p>Thread-safe; one thread per connection direction.
 */
public final class FaultProxy implements AutoCloseable {
    /** What the proxy does with traffic. */
    public enum Mode { PASS, REFUSE, BLACKHOLE }

    /** What a failed request gets instead of S3's answer. */
    public enum Fault {
        /** HTTP 500 InternalError. */
        INTERNAL_ERROR,
        /** HTTP 503 SlowDown, S3's throttling answer. */
        SLOW_DOWN,
        /** The connection is reset (TCP RST) after the request's head arrived: no answer at all. */
        RESET,
        /**
         * The request reaches S3, which acts on it, but its answer is lost: the connection is reset when the answer
         * comes. What a client sees when a network drops a response.
         */
        LOSE_ANSWER,
        /**
         * The request reaches S3, and its answer (an interim {@code 100 Continue} too) is held back until
         * {@link #releaseAnswers}: a request that stays in flight for as long as a test needs.
         */
        HOLD_ANSWER,
        /**
         * The request reaches S3, which acts on it, and its answer is held back for {@link #answerDelay} (or until
         * {@link #releaseAnswers}): a store that works on a request for that long before it answers.
         */
        SLOW_ANSWER
    }

    private record FaultRule(Pattern requestLine, Fault fault, AtomicInteger remaining) {
    }

    private final int targetPort;
    private final int port;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final AtomicLong injected = new AtomicLong();
    private volatile FaultRule rule;
    private volatile Mode mode = Mode.PASS;
    private volatile ServerSocket server;
    private final CountDownLatch answersReleased = new CountDownLatch(1);
    private volatile Duration answerDelay = Duration.ofSeconds(3);

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
     * Fails the next {@code count} requests whose request line (e.g. {@code PUT /bucket/key?partNumber=2&uploadId=..
     * HTTP/1.1}) contains a match of {@code requestLine}, with {@code fault}; replaces any earlier rule.
     */
    public void failNext(int count, String requestLine, Fault fault) {
        rule = new FaultRule(Pattern.compile(requestLine), fault, new AtomicInteger(count));
    }

    /** How long {@link Fault#SLOW_ANSWER} holds an answer back (3 s unless set). */
    public void answerDelay(Duration delay) {
        answerDelay = delay;
    }

    /** Passes on the answers {@link Fault#HOLD_ANSWER} held, and every answer from now on. */
    public void releaseAnswers() {
        answersReleased.countDown();
    }

    /** Requests failed by {@link #failNext} so far. */
    public long injected() {
        return injected.get();
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
            AtomicBoolean loseAnswer = new AtomicBoolean();
            AtomicBoolean holdAnswer = new AtomicBoolean();
            AtomicBoolean slowAnswer = new AtomicBoolean();
            threads.execute(() -> pump(upstream, client, loseAnswer, holdAnswer, slowAnswer));
            pumpRequests(client, upstream, loseAnswer, holdAnswer, slowAnswer);
        } catch (IOException e) {
            close(client);
        }
    }

    /** Responses: passed through as they come. */
    private void pump(Socket from, Socket to, AtomicBoolean loseAnswer, AtomicBoolean holdAnswer,
                      AtomicBoolean slowAnswer) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (loseAnswer.get()) {
                    to.setSoLinger(true, 0);   // the answer came: reset the client instead of passing it on
                    return;
                }
                if (holdAnswer.get()) {
                    answersReleased.await();
                }
                if (slowAnswer.getAndSet(false)) {
                    answersReleased.await(answerDelay.toNanos(), TimeUnit.NANOSECONDS);
                }
                if (mode == Mode.PASS) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // the other side or the proxy closed the connection
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // the proxy is closing
        } finally {
            close(from);
            close(to);
        }
    }

    /** Requests: framed one by one, counted, and failed when a rule says so. */
    private void pumpRequests(Socket client, Socket upstream, AtomicBoolean loseAnswer, AtomicBoolean holdAnswer,
                              AtomicBoolean slowAnswer) {
        try (InputStream in = new BufferedInputStream(client.getInputStream(), 64 * 1024);
             OutputStream out = upstream.getOutputStream()) {
            byte[] head;
            while ((head = readHead(in)) != null) {
                String text = new String(head, StandardCharsets.ISO_8859_1);
                String requestLine = text.lines().findFirst().orElse("").trim();
                counts.computeIfAbsent(kindOf(requestLine), k -> new AtomicLong()).incrementAndGet();
                Fault fault = takeFault(requestLine);
                if (fault == Fault.LOSE_ANSWER) {
                    loseAnswer.set(true);
                } else if (fault == Fault.HOLD_ANSWER) {
                    holdAnswer.set(true);
                } else if (fault == Fault.SLOW_ANSWER) {
                    slowAnswer.set(true);
                } else if (fault != null) {
                    if (inject(fault, client, in, text)) {
                        continue;
                    }
                    return;
                }
                forward(out, head, head.length);
                if (header(text, "transfer-encoding") != null) {
                    copy(in, out, Long.MAX_VALUE);   // chunked: no more framing on this connection
                    return;
                }
                String length = header(text, "content-length");
                copy(in, out, length == null ? 0 : Long.parseLong(length));
            }
        } catch (IOException | RuntimeException e) {
            // the other side or the proxy closed the connection
        } finally {
            close(client);
            close(upstream);
        }
    }

    private Fault takeFault(String requestLine) {
        FaultRule r = rule;
        if (r == null || !r.requestLine().matcher(requestLine).find()) {
            return null;
        }
        if (r.remaining().getAndUpdate(n -> n > 0 ? n - 1 : 0) <= 0) {
            return null;
        }
        injected.incrementAndGet();
        return r.fault();
    }

    /**
     * Answers the request in S3's place. An error status keeps the connection open, as S3 does (the upstream
     * connection is idle: the request was not forwarded, so nothing else writes to the client meanwhile).
     *
     * @return whether the connection lives on
     */
    private boolean inject(Fault fault, Socket client, InputStream in, String head) throws IOException {
        if (fault == Fault.RESET) {
            client.setSoLinger(true, 0);   // close() sends RST
            return false;
        }
        // take the body first: the client reads no answer before it has sent the whole request
        OutputStream out = client.getOutputStream();
        if ("100-continue".equalsIgnoreCase(header(head, "expect"))) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        String length = header(head, "content-length");
        if (length != null) {
            in.skipNBytes(Long.parseLong(length));
        }
        int status = fault == Fault.SLOW_DOWN ? 503 : 500;
        String code = fault == Fault.SLOW_DOWN ? "SlowDown" : "InternalError";
        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code
                + "</Code><Message>injected by FaultProxy</Message><RequestId>fault-proxy</RequestId></Error>";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String response = "HTTP/1.1 " + status + " " + code + "\r\nContent-Type: application/xml\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n";
        out.write(response.getBytes(StandardCharsets.ISO_8859_1));
        out.write(bytes);
        out.flush();
        return true;
    }

    /** The request head up to and including its blank line, or {@code null} at the end of the stream. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        int last4 = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            last4 = (last4 << 8) | b;
            if (last4 == 0x0d0a0d0a || (last4 & 0xffff) == 0x0a0a) {
                return head.toByteArray();
            }
            if (head.size() > 256 * 1024) {
                throw new IOException("request head too long");
            }
        }
        return null;
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private void copy(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("connection closed inside a request body");
            }
            forward(out, buf, n);
            left -= n;
        }
    }

    private void forward(OutputStream out, byte[] buf, int n) throws IOException {
        if (mode == Mode.PASS) {
            out.write(buf, 0, n);
            out.flush();
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
