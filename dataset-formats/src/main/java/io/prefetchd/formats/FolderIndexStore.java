package io.prefetchd.formats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Index files in one folder, named {@code <format>-<first 16 hex of SHA-256(spec)>.pfidx}. The spec is also
 * stored inside the file and checked on load, so a hash collision cannot hand back another dataset's index.
 * Thread-safe: saves are atomic renames and loads read whole files.
 */
final class FolderIndexStore implements IndexStore {
    private static final String SUFFIX = ".pfidx";
    private final Path folder;

    FolderIndexStore(Path folder) {
        this.folder = requireNonNull(folder, "folder is null");
    }

    @Override
    public Path file(DatasetSpec spec) {
        String canonical = spec.format().cliName() + "\n" + spec.location() + "\n" + String.join("\n",
                spec.columns()) + "\n" + spec.layout();
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(UTF_8));
            return folder.resolve(spec.format().cliName() + "-" + HexFormat.of().formatHex(h, 0, 8) + SUFFIX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public Optional<DatasetIndex> load(DatasetSpec spec) throws IOException {
        Path file = file(spec);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        DatasetIndex index = IndexCodec.read(file);
        if (!index.spec().equals(spec)) {
            throw new IOException("persisted index " + file + " was written for " + index.spec() + ", not " + spec);
        }
        return Optional.of(index);
    }

    @Override
    public long removeAbandoned(Instant now, Duration idle) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        long bytes = 0;
        // a save writes <index file><random>.tmp and spills columns to <index file>.<column><random>.col
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*" + SUFFIX + "*.{tmp,col}")) {
            for (Path f : files) {
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(f, BasicFileAttributes.class);
                } catch (NoSuchFileException gone) {   // its save finished, or another sweep took it
                    continue;
                }
                if (a.isRegularFile() && a.lastModifiedTime().toInstant().plus(idle).isBefore(now)
                        && Files.deleteIfExists(f)) {
                    bytes += a.size();
                }
            }
        }
        return bytes;
    }

    @Override
    public Path save(DatasetIndex index) throws IOException {
        Path file = file(index.spec());
        IndexCodec.write(index, file);
        return file;
    }
}
