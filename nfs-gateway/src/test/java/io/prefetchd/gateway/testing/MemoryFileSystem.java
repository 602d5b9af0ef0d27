package io.prefetchd.gateway.testing;

import io.prefetchd.gateway.fs.CreateHow;
import io.prefetchd.gateway.fs.DirEntry;
import io.prefetchd.gateway.fs.DirListing;
import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.FsStats;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.ReadResult;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.fs.WriteResult;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A writable {@link VirtualFileSystem} in memory, for tests of the NFS layer's write operations: a tree of files
 * and directories with owners, sizes, times and change counters, following the interface's contract (errors
 * included). It records what the protocol layer told it ({@link #closed}, {@link #commits}) and can be made to
 * refuse writes ({@link #failWrites}). Not a model of staging or S3. Thread-safe (one monitor).
 */
public final class MemoryFileSystem implements VirtualFileSystem {
    private static final class Node {
        final FileType type;
        final long fileId;
        byte[] data = new byte[0];
        int size;
        Owner owner;
        Instant atime;
        Instant mtime;
        long change;
        long verifier;

        Node(FileType type, long fileId) {
            this.type = type;
            this.fileId = fileId;
        }
    }

    private final Clock clock;
    private final long writeVerifier;
    private final TreeMap<String, Node> nodes = new TreeMap<>();
    private long counter;
    /** Paths {@link #closed} was called for, in order. */
    public final List<String> closed = new CopyOnWriteArrayList<>();
    /** Paths {@link #commit} was called for, in order. */
    public final List<String> commits = new CopyOnWriteArrayList<>();
    /** When set, every write and create fails with this error (NOSPC: the staging area is full). */
    public volatile FsError failWrites;

    public MemoryFileSystem(Clock clock, long writeVerifier) {
        this.clock = clock;
        this.writeVerifier = writeVerifier;
        nodes.put("", newNode(FileType.DIRECTORY, null));
    }

    /** Adds a file with no owner of its own (as an object put into S3 by another tool), and its folders. */
    public synchronized MemoryFileSystem put(String path, String content) {
        int slash = path.lastIndexOf('/');
        if (slash > 0) {
            mkdirs(path.substring(0, slash));
        }
        Node n = newNode(FileType.REGULAR, null);
        n.data = content.getBytes(StandardCharsets.UTF_8);
        n.size = n.data.length;
        nodes.put(path, n);
        return this;
    }

    /** The bytes of a file, as written. */
    public synchronized byte[] content(String path) {
        Node n = nodes.get(path);
        return n == null ? null : Arrays.copyOf(n.data, n.size);
    }

    public synchronized boolean exists(String path) {
        return nodes.containsKey(path);
    }

    private void mkdirs(String path) {
        String[] parts = path.split("/");
        String p = "";
        for (String part : parts) {
            p = p.isEmpty() ? part : p + "/" + part;
            nodes.putIfAbsent(p, newNode(FileType.DIRECTORY, null));
        }
    }

    private Node newNode(FileType type, Owner owner) {
        Node n = new Node(type, ++counter);
        n.owner = owner;
        n.atime = n.mtime = clock.instant();
        n.change = ++counter;
        return n;
    }

    private Node node(Inode inode, FsError missing) throws FsException {
        Node n = nodes.get(inode.path());
        if (n == null) {
            throw new FsException(missing, "no /" + inode.path());
        }
        return n;
    }

    private Node dir(Inode dir) throws FsException {
        Node d = node(dir, FsError.STALE);
        if (d.type != FileType.DIRECTORY) {
            throw new FsException(FsError.NOTDIR, dir.path() + " is not a directory");
        }
        return d;
    }

    private void touch(Node n) {
        n.mtime = clock.instant();
        n.change = ++counter;
    }

    private FileAttributes attributes(Node n) {
        return new FileAttributes(n.type, n.type == FileType.DIRECTORY ? 4096 : n.size, n.fileId, n.change, n.mtime,
                n.type == FileType.REGULAR ? "etag-" + n.change : null, n.owner);
    }

    @Override
    public synchronized FileAttributes getattr(Inode inode) throws FsException {
        return attributes(node(inode, FsError.STALE));
    }

    @Override
    public synchronized Inode lookup(Inode dir, String name) throws FsException {
        dir(dir);
        String path = dir.child(name);
        Node n = nodes.get(path);
        if (n == null) {
            throw new FsException(FsError.NOENT, "no " + name + " in /" + dir.path());
        }
        return new Inode(n.type, path);
    }

    @Override
    public synchronized DirListing list(Inode dir, long verifier) throws FsException {
        dir(dir);
        List<DirEntry> entries = new ArrayList<>();
        for (Map.Entry<String, Node> e : children(dir.path()).entrySet()) {
            Inode child = new Inode(e.getValue().type, e.getKey());
            entries.add(new DirEntry(child.name(), child, attributes(e.getValue())));
        }
        return new DirListing(nodes.get(dir.path()).change, entries);
    }

    private Map<String, Node> children(String dir) {
        Map<String, Node> out = new TreeMap<>();
        String prefix = dir.isEmpty() ? "" : dir + "/";
        for (Map.Entry<String, Node> e : nodes.tailMap(prefix, false).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            if (e.getKey().indexOf('/', prefix.length()) < 0) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    @Override
    public synchronized ReadResult read(Inode file, FileAttributes version, long offset, int count)
            throws FsException {
        Node n = node(file, FsError.STALE);
        if (offset >= n.size) {
            return ReadResult.EMPTY;
        }
        int end = (int) Math.min(n.size, offset + count);
        return new ReadResult(Arrays.copyOfRange(n.data, (int) offset, end), false, 0);
    }

    @Override
    public FsStats statfs() {
        return new FsStats(1L << 40, 1L << 39, 1 << 20, 1 << 19);
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public long writeVerifier() {
        return writeVerifier;
    }

    @Override
    public synchronized Inode create(Inode dir, String name, CreateHow how, Owner creator) throws FsException {
        Node parent = dir(dir);
        failIfAsked();
        String path = dir.child(name);
        Node n = nodes.get(path);
        if (n != null) {
            if (n.type == FileType.DIRECTORY) {
                throw new FsException(FsError.ISDIR, path + " is a directory");
            }
            switch (how.mode()) {
                case GUARDED -> throw new FsException(FsError.EXIST, path + " exists");
                case EXCLUSIVE -> {
                    if (n.verifier != how.verifier()) {
                        throw new FsException(FsError.EXIST, path + " exists");
                    }
                }
                case UNCHECKED -> apply(n, how.attributes());
            }
            return new Inode(FileType.REGULAR, path);
        }
        n = newNode(FileType.REGULAR, creator);
        n.verifier = how.mode() == CreateHow.Mode.EXCLUSIVE ? how.verifier() : 0;
        nodes.put(path, n);
        apply(n, how.attributes());
        touch(parent);
        return new Inode(FileType.REGULAR, path);
    }

    private void failIfAsked() throws FsException {
        FsError fail = failWrites;
        if (fail != null) {
            throw new FsException(fail, "told to fail");
        }
    }

    private void apply(Node n, NewAttributes a) {
        if (a.size().isPresent()) {
            resize(n, (int) a.size().getAsLong());
            touch(n);
        }
        Owner o = n.owner == null ? new Owner(0, 0, n.type == FileType.DIRECTORY ? 0555 : 0444) : n.owner;
        if (a.mode().isPresent() || a.uid().isPresent() || a.gid().isPresent()) {
            n.owner = new Owner(a.uid().orElse(o.uid()), a.gid().orElse(o.gid()), a.mode().orElse(o.mode()));
            n.change = ++counter;
        }
        a.atime().ifPresent(t -> n.atime = t);
        a.mtime().ifPresent(t -> {
            n.mtime = t;
            n.change = ++counter;
        });
    }

    private static void resize(Node n, int size) {
        if (size > n.data.length) {
            n.data = Arrays.copyOf(n.data, Math.max(size, n.data.length * 2));
        } else {
            Arrays.fill(n.data, size, n.data.length, (byte) 0);
        }
        n.size = size;
    }

    @Override
    public synchronized WriteResult write(Inode file, long offset, ByteBuffer data, boolean durable)
            throws FsException {
        Node n = node(file, FsError.STALE);
        failIfAsked();
        int count = data.remaining();
        int end = (int) (offset + count);
        if (end > n.size) {
            resize(n, end);
        }
        data.get(n.data, (int) offset, count);
        touch(n);
        return new WriteResult(count, durable);
    }

    @Override
    public synchronized void commit(Inode file) throws FsException {
        node(file, FsError.STALE);
        commits.add(file.path());
    }

    @Override
    public void closed(Inode file) {
        closed.add(file.path());
    }

    @Override
    public synchronized FileAttributes setattr(Inode inode, NewAttributes attributes) throws FsException {
        Node n = node(inode, FsError.STALE);
        apply(n, attributes);
        return attributes(n);
    }

    @Override
    public synchronized Inode mkdir(Inode dir, String name, NewAttributes attributes, Owner creator)
            throws FsException {
        Node parent = dir(dir);
        failIfAsked();
        String path = dir.child(name);
        if (nodes.containsKey(path)) {
            throw new FsException(FsError.EXIST, path + " exists");
        }
        Node n = newNode(FileType.DIRECTORY, creator);
        nodes.put(path, n);
        apply(n, attributes);
        touch(parent);
        return new Inode(FileType.DIRECTORY, path);
    }

    @Override
    public synchronized void remove(Inode dir, String name) throws FsException {
        Node parent = dir(dir);
        String path = dir.child(name);
        Node n = nodes.get(path);
        if (n == null) {
            throw new FsException(FsError.NOENT, "no " + name + " in /" + dir.path());
        }
        if (n.type == FileType.DIRECTORY && !children(path).isEmpty()) {
            throw new FsException(FsError.NOTEMPTY, path + " is not empty");
        }
        nodes.remove(path);
        touch(parent);
    }

    @Override
    public synchronized void rename(Inode fromDir, String fromName, Inode toDir, String toName) throws FsException {
        Node from = dir(fromDir);
        Node to = dir(toDir);
        String source = fromDir.child(fromName);
        String target = toDir.child(toName);
        Node n = nodes.get(source);
        if (n == null) {
            throw new FsException(FsError.NOENT, "no " + fromName + " in /" + fromDir.path());
        }
        if (source.equals(target)) {
            return;
        }
        Node existing = nodes.get(target);
        if (existing != null) {
            if (n.type == FileType.DIRECTORY && existing.type != FileType.DIRECTORY) {
                throw new FsException(FsError.NOTDIR, target + " is not a directory");
            }
            if (n.type != FileType.DIRECTORY && existing.type == FileType.DIRECTORY) {
                throw new FsException(FsError.ISDIR, target + " is a directory");
            }
            if (existing.type == FileType.DIRECTORY && !children(target).isEmpty()) {
                throw new FsException(FsError.EXIST, target + " is a directory that is not empty");
            }
        }
        Map<String, Node> moved = new TreeMap<>(nodes.subMap(source + "/", source + "/\uffff"));
        moved.keySet().forEach(nodes::remove);
        nodes.remove(source);
        nodes.put(target, n);
        moved.forEach((k, v) -> nodes.put(target + k.substring(source.length()), v));
        touch(from);
        touch(to);
    }
}
