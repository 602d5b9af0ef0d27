package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link RangeSource} over a local folder. Keys are {@code /}-separated paths relative to the root; regular
 * files only, symbolic links not followed. A listing holds the entries of the folders on its current path, not
 * the whole subtree. The ETag is {@code <size hex>-<mtime nanos hex>}: a rewrite that changes neither goes
 * unnoticed, as with any mtime-based tool. Stateless, so thread-safe.
 */
final class LocalRangeSource implements RangeSource {
    private final Path root;

    LocalRangeSource(Path root) {
        this.root = requireNonNull(root, "root is null").toAbsolutePath().normalize();
    }

    @Override
    public List<ObjectRef> list(String prefix) throws IOException {
        List<ObjectRef> out = new ArrayList<>();
        list(prefix, out::add);
        return out;
    }

    /**
     * Walks the folders depth first, each folder's entries sorted as their keys sort (a folder as its name and
     * {@code /}, which every key below it starts with), so that keys come out in key order while only the
     * entries of the folders on the current path are held.
     */
    @Override
    public void list(String prefix, ListingConsumer each) throws IOException {
        requireNonNull(prefix, "prefix is null");
        requireNonNull(each, "each is null");
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : resolve(prefix.substring(0, slash));
        if (Files.isDirectory(start)) {
            walk(start, prefix, each);
        }
    }

    /** An entry of a folder: a subfolder (sorted as its key and {@code /}) or a regular file. */
    private record Entry(String sortKey, Path path, @Nullable ObjectRef file) {
    }

    private void walk(Path dir, String prefix, ListingConsumer each) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path p : children) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                String k = keyOf(p);
                if (a.isDirectory()) {
                    String folder = k + "/";
                    // only folders that can hold a match
                    if (folder.startsWith(prefix) || prefix.startsWith(folder)) {
                        entries.add(new Entry(folder, p, null));
                    }
                } else if (a.isRegularFile() && k.startsWith(prefix)) {
                    entries.add(new Entry(k, p, new ObjectRef(k, a.size(), etag(a))));
                }
            }
        }
        entries.sort((x, y) -> KeyOrder.INSTANCE.compare(x.sortKey(), y.sortKey()));
        for (Entry e : entries) {
            if (e.file() != null) {
                each.accept(e.file());
            } else {
                walk(e.path(), prefix, each);
            }
        }
    }

    @Override
    public Optional<ObjectRef> head(String key) throws IOException {
        Path p = resolve(key);
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return a.isRegularFile() ? Optional.of(new ObjectRef(key, a.size(), etag(a))) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public byte[] read(ObjectRef object, long offset, int length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + ", " + length);
        }
        try (FileChannel ch = FileChannel.open(resolve(object.key()), StandardOpenOption.READ)) {
            long n = Math.max(0, Math.min(length, ch.size() - offset));
            ByteBuffer buf = ByteBuffer.allocate((int) n);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    break;
                }
            }
            return buf.position() == n ? buf.array() : Arrays.copyOf(buf.array(), buf.position());
        }
    }

    @Override
    public InputStream stream(ObjectRef object) throws IOException {
        // Files.newInputStream skips by moving the channel position: skipping tar member data costs no I/O
        return Files.newInputStream(resolve(object.key()));
    }

    private Path resolve(String key) throws IOException {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            throw new IOException("key escapes the source folder: " + key);
        }
        return p;
    }

    private String keyOf(Path p) {
        String rel = root.relativize(p).toString();
        return p.getFileSystem().getSeparator().equals("/") ? rel : rel.replace(p.getFileSystem().getSeparator(), "/");
    }

    private static String etag(BasicFileAttributes a) {
        long nanos = a.lastModifiedTime().toInstant().getEpochSecond() * 1_000_000_000L
                + a.lastModifiedTime().toInstant().getNano();
        return Long.toHexString(a.size()) + "-" + Long.toHexString(nanos);
    }
}
