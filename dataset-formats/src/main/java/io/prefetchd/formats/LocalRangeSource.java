package io.prefetchd.formats;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A {@link RangeSource} over a local folder. Keys are {@code /}-separated paths relative to the root; regular
 * files only, symbolic links not followed. The ETag is {@code <size hex>-<mtime nanos hex>}: a rewrite that
 * changes neither goes unnoticed, as with any mtime-based tool. Stateless, so thread-safe.
 */
final class LocalRangeSource implements RangeSource {
    private final Path root;

    LocalRangeSource(Path root) {
        this.root = requireNonNull(root, "root is null").toAbsolutePath().normalize();
    }

    @Override
    public List<ObjectRef> list(String prefix) throws IOException {
        requireNonNull(prefix, "prefix is null");
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : resolve(prefix.substring(0, slash));
        List<ObjectRef> out = new ArrayList<>();
        if (!Files.isDirectory(start)) {
            return out;
        }
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String k = keyOf(dir) + "/";
                // prune folders that cannot hold a match
                return dir.equals(start) || k.startsWith(prefix) || prefix.startsWith(k)
                        ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String k = keyOf(file);
                if (attrs.isRegularFile() && k.startsWith(prefix)) {
                    out.add(new ObjectRef(k, attrs.size(), etag(attrs)));
                }
                return FileVisitResult.CONTINUE;
            }
        });
        out.sort((a, b) -> KeyOrder.INSTANCE.compare(a.key(), b.key()));
        return out;
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
