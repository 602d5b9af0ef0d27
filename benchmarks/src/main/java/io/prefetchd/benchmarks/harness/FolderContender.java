package io.prefetchd.benchmarks.harness;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads samples with positional reads from a folder: the local copy of the dataset (the all-local bound), or a
 * FUSE mount (s3fs, rclone) through {@link FuseContender}. Each reader keeps its files open across epochs, as a
 * DataLoader worker holding shard handles does.
 */
class FolderContender implements Contender {
    private final String name;
    private final String client;
    private final Path root;

    FolderContender(String name, String client, Path root) {
        this.name = name;
        this.client = client;
        this.root = root;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String client() {
        return client;
    }

    Path root() {
        return root;
    }

    @Override
    public SampleReader newReader(boolean keepOpen) {
        Map<String, FileChannel> open = new HashMap<>();
        return new SampleReader() {
            @Override
            public byte[] read(Dataset.Sample s) throws IOException {
                if (!keepOpen) {
                    try (FileChannel ch = FileChannel.open(root.resolve(s.key()), StandardOpenOption.READ)) {
                        return read(ch, s);
                    }
                }
                FileChannel ch = open.get(s.key());
                if (ch == null) {
                    ch = FileChannel.open(root.resolve(s.key()), StandardOpenOption.READ);
                    open.put(s.key(), ch);
                }
                return read(ch, s);
            }

            private byte[] read(FileChannel ch, Dataset.Sample s) throws IOException {
                ByteBuffer buf = ByteBuffer.allocate(s.length());
                while (buf.hasRemaining()) {
                    if (ch.read(buf, s.offset() + buf.position()) < 0) {
                        throw new IOException("end of file in " + s.key() + " at " + (s.offset() + buf.position()));
                    }
                }
                return buf.array();
            }

            @Override
            public void close() throws IOException {
                for (FileChannel ch : open.values()) {
                    ch.close();
                }
                open.clear();
            }
        };
    }

    @Override
    public void close() throws Exception {
    }

    static List<String> none() {
        return List.of();
    }
}
