package io.prefetchd.gateway.linux;

import io.prefetchd.gateway.s3.S3ProxyFixture;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The bucket the Linux-client tests read: nested folders with 1,200 small files, a few top-level files and one
 * 100 MiB file. Every object's bytes are a pure function of its key, so the test regenerates what it expects
 * instead of keeping a copy.
 */
final class TestBucket {
    static final String HUGE = "big/huge.bin";
    static final int HUGE_SIZE = 100 * 1024 * 1024;
    final Map<String, Integer> sizes = new TreeMap<>();

    TestBucket() {
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 5; b++) {
                for (int f = 0; f < 60; f++) {
                    String key = String.format("tree/l1-%d/l2-%d/f%03d.txt", a, b, f);
                    sizes.put(key, 100 + new Random(key.hashCode()).nextInt(2000));
                }
            }
        }
        sizes.put("README.txt", 600);
        sizes.put("empty.bin", 0);
        sizes.put("odd size.dat", 128 * 1024 + 17);
        sizes.put(HUGE, HUGE_SIZE);
    }

    static byte[] content(String key, int size) {
        byte[] b = new byte[size];
        new Random(31L * key.hashCode() + size).nextBytes(b);
        return b;
    }

    byte[] content(String key) {
        return content(key, sizes.get(key));
    }

    String md5(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content(key)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    List<String> smallKeys() {
        return sizes.keySet().stream().filter(k -> k.startsWith("tree/")).toList();
    }

    void upload(S3ProxyFixture s3, String bucket) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (String key : sizes.keySet()) {
                puts.add(pool.submit(() -> s3.put(bucket, key, content(key))));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }
}
