package io.prefetchd.gateway.daemon;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The TCP listeners the daemon opens (NFS, the gRPC hint API, HTTP), checked before any of them is opened.
 *
 * <p>Each server binds its own socket when it starts, and they start one after another; a port that is taken would
 * otherwise be found only after the listeners before it were already serving (NFS clients could mount a gateway that
 * then exits). {@link #checkFree} binds every configured address and port at once, all held together so that two
 * listeners configured on one port are caught too, and closes them again; the servers bind them for real right after.
 * A port taken in between still fails the server that binds it, with the same kind of message.
 *
 * <p>When a port is taken, the message names the listener, the address, the setting that chose it, and the process
 * that holds it when Linux lets us see it ({@code /proc/net/tcp} and the holders' {@code /proc/PID/fd}).
 */
final class Listeners {
    /** One listener: what it serves, the setting that moves it, and where it listens ({@code port} 0 = any). */
    record Listener(String name, String setting, String host, int port) {
        Listener {
            requireNonNull(name, "name is null");
            requireNonNull(setting, "setting is null");
            requireNonNull(host, "host is null");
        }

        String address() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    private final List<Listener> listeners;

    Listeners(List<Listener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /** Every listener the daemon opens, from the settings that place them; HTTP's are Micronaut's own. */
    static Listeners of(GatewayConfig config, String httpHost, int httpPort) {
        List<Listener> all = new ArrayList<>();
        all.add(new Listener("NFS", "--nfs-port/--nfs-bind, prefetchd.nfs.port/bind",
                config.getNfs().getBind(), config.getNfs().getPort()));
        if (config.getGrpc().isEnabled()) {
            all.add(new Listener("the gRPC hint API", "--grpc-port/--grpc-bind, prefetchd.grpc.port/bind",
                    config.getGrpc().getBind(), config.getGrpc().getPort()));
        }
        if (config.getS3Api().isEnabled()) {
            all.add(new Listener("the S3 endpoint", "--s3-api-port/--s3-api-bind, prefetchd.s3-api.port/bind",
                    config.getS3Api().getBind(), config.getS3Api().getPort()));
        }
        if (!config.getFleet().getMembers().isEmpty()) {
            all.add(new Listener("the fleet membership", "--fleet-port, prefetchd.fleet.port/bind",
                    config.getFleet().getBind(), config.getFleet().getPort()));
            all.add(new Listener("the fleet's peer data channel", "prefetchd.fleet.peer-port/bind",
                    config.getFleet().getBind(), config.getFleet().getPeerPort()));
        }
        all.add(new Listener("HTTP", "--http-port/--http-bind, micronaut.server.port/host", httpHost, httpPort));
        return new Listeners(all);
    }

    List<Listener> all() {
        return listeners;
    }

    /**
     * Binds every listener with a fixed port, all at once, then releases them.
     *
     * @throws StartupException naming the first listener that cannot bind: its address, the setting, and the process
     *                          that holds the port when it can be found
     */
    void checkFree() {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (Listener l : listeners) {
                if (l.port() <= 0) {
                    continue;   // any free port: nothing to check
                }
                InetAddress address;
                try {
                    address = InetAddress.getByName(l.host());
                } catch (UnknownHostException e) {
                    throw new StartupException("cannot listen for " + l.name() + " on " + l.address() + " ("
                            + l.setting() + "): unknown address '" + l.host() + "'", e);
                }
                ServerSocket s = new ServerSocket();
                held.add(s);
                try {
                    s.bind(new InetSocketAddress(address, l.port()));
                } catch (IOException e) {
                    throw new StartupException("cannot listen for " + l.name() + " on " + l.address() + " ("
                            + l.setting() + "): " + StartupException.rootMessage(e) + holderOf(l.port()), e);
                }
            }
        } catch (IOException e) {
            throw new StartupException("cannot open a socket to check the listeners: " + e.getMessage(), e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // released either way
                }
            }
        }
    }

    /** "; held by pid N (command)" for the process listening on {@code port}, or how to find it. */
    static String holderOf(int port) {
        return listenerInode(port).flatMap(Listeners::processOf)
                .map(p -> "; the port is held by " + p)
                .orElse("; `ss -ltnp 'sport = :" + port + "'` shows which process holds it");
    }

    /** The inode of the socket listening on {@code port}, from /proc/net/tcp and tcp6 (Linux). */
    static Optional<Long> listenerInode(int port) {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table), StandardCharsets.US_ASCII)) {
                    String[] f = line.trim().split("\\s+");
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    if (f.length < 10 || !f[3].equals("0A")) {   // 0A = LISTEN
                        continue;
                    }
                    int colon = f[1].lastIndexOf(':');
                    if (colon > 0 && Integer.parseInt(f[1].substring(colon + 1), 16) == port) {
                        return Optional.of(Long.parseLong(f[9]));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not Linux, or not readable: no holder to name
            }
        }
        return Optional.empty();
    }

    /** "pid N (command line)" of the process with an open descriptor on socket {@code inode}, if visible. */
    static Optional<String> processOf(long inode) {
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        if (target.equals(readLink(fd))) {
                            return Optional.of("pid " + proc.getFileName() + " (" + commandOf(proc) + ")");
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // another user's process: not ours to see
                }
            }
        } catch (IOException e) {
            // no /proc
        }
        return Optional.empty();
    }

    private static String readLink(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException e) {
            return "";
        }
    }

    private static String commandOf(Path proc) {
        try {
            String cmd = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').strip();
            return cmd.length() > 120 ? cmd.substring(0, 120) + "..." : cmd;
        } catch (IOException e) {
            return "?";
        }
    }

    /** The address to give a client on this host for a listener bound to {@code host}. */
    static String reachable(String host) {
        return host.isBlank() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "127.0.0.1"
                : host.contains(":") ? "[" + host + "]" : host;
    }
}
