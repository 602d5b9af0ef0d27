package io.prefetchd.benchmarks.harness;

import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** The no-cache bound: one ranged GET per sample straight to the emulated S3 (AWS SDK v2, Netty client). */
final class DirectGetContender implements Contender {
    private final S3Emulator s3;
    private final S3AsyncClient client;

    DirectGetContender(S3Emulator s3, int readers) {
        this.s3 = s3;
        this.client = s3.newClient(Math.max(1, readers));
    }

    @Override
    public String name() {
        return "direct-get";
    }

    @Override
    public String client() {
        return "AWS SDK v2 S3AsyncClient (Netty), one ranged GET per sample, no cache";
    }

    @Override
    public SampleReader newReader(boolean keepOpen) {
        return s -> {
            byte[] b = client.getObject(r -> r.bucket(s3.bucket()).key(s.key())
                            .range("bytes=" + s.offset() + "-" + (s.offset() + s.length() - 1)),
                    AsyncResponseTransformer.toBytes()).join().asByteArray();
            return b;
        };
    }

    @Override
    public void close() {
        client.close();
    }
}
