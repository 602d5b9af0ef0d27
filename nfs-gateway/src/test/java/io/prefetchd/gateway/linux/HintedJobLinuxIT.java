package io.prefetchd.gateway.linux;

import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.datasets.DatasetKind;
import io.prefetchd.gateway.datasets.DatasetRegistry;
import io.prefetchd.gateway.datasets.ServedDataset;
import io.prefetchd.gateway.hints.HintServer;
import io.prefetchd.gateway.reports.ReportStore;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.Await;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.gateway.testing.VmTestSupport;
import io.prefetchd.planner.report.EpochReport;
import io.prefetchd.planner.report.Reports;
import io.prefetchd.testing.Prerequisites;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A PyTorch training job in the guest, as users run one: an ImageFolder-like dataset read through the kernel client
 * by a {@code DataLoader} with two workers, its order published each epoch by {@code prefetchd_client.HintedSampler}
 * over the hint API ({@code --forward}), which ends each epoch before it publishes the next (the workers start in
 * between), with a job grace long enough for the second run below. The gateway serves a
 * second dataset too (a validation folder), so the two share the cache. The whole training set fits the cache: after
 * the first epoch, every epoch is read from it, without a GET and without a read waiting on S3, and every sample's
 * bytes are checked in the guest. The job is then run again under the same job name, as users re-run a training
 * script: its epochs count from 0 again, are planned and reported, and read the cache the first run left.
 */
class HintedJobLinuxIT {
    private static final VmNfsClient VM = VmNfsClient.locate();
    private static final String BUCKET = "hinted-job";
    private static final String JOB = "it-job";
    private static final int CLASSES = 2;
    private static final int PER_CLASS = 60;
    private static final int EPOCHS = 3;

    @Test
    void trainingJobWithHintedSampler_readsEveryEpochAfterTheFirstFromTheCache_besideAnotherDataset(
            @TempDir Path tmp) throws Exception {
        Prerequisites.require(VM.isAvailable(), VM.unavailableReason());
        Process probe = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, grpc, google.protobuf")
                .redirectErrorStream(true).start();
        String probed = new String(probe.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        Prerequisites.require(probe.waitFor() == 0, "python deps missing (apt-get install python3-torch "
                + "python3-grpcio python3-protobuf): " + probed);
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
        Path work = VmTestSupport.workFolder("hinted-job-it-");
        try (S3ProxyFixture s3 = S3ProxyFixture.start()) {
            s3.createBucket(BUCKET);
            Map<String, String> md5s = upload(s3, "train", PER_CLASS, 7);
            upload(s3, "val", PER_CLASS / 4, 8);
            StringBuilder expected = new StringBuilder();
            md5s.forEach((path, md5) -> expected.append(path).append(' ').append(md5).append('\n'));
            Files.writeString(work.resolve("md5s.txt"), expected);
            Files.writeString(work.resolve("job.py"), JOB_SCRIPT);

            Map<String, Object> p = s3.daemonProperties(BUCKET, tmp.resolve("state"));
            p.put("prefetchd.datasets", "imagefolder:train,imagefolder:val");
            p.put("prefetchd.cache.size", String.valueOf(64L << 20));
            // the second run starts after a VM boot and torch's import (tens of seconds under emulation): the
            // training set keeps its share until then, though the validation set, never read, needs all of its own
            p.put("prefetchd.planner.job-grace", "10m");
            try (ApplicationContext ctx = Daemon.start(p)) {
                Gateway gw = ctx.getBean(Gateway.class);
                DatasetKind imagefolder = DatasetKind.byName("imagefolder").orElseThrow();
                ServedDataset train = ctx.getBean(DatasetRegistry.class).register("train", imagefolder, List.of());
                ctx.getBean(DatasetRegistry.class).register("val", imagefolder, List.of());
                Await.await(() -> gw.prefetcher().status().stream().filter(d -> d.planned()).count() == 2,
                        "both datasets planned");
                int grpcPort = ctx.getBean(HintServer.class).port();

                ReportStore reports = ctx.getBean(ReportStore.class);
                // the script run twice under the same job name, as a user re-runs a training script: the second
                // run counts its epochs from 0 again
                for (int runs = 1; runs <= 2; runs++) {
                    VmNfsClient.Result run = VM.run(VmNfsClient.Options.mount(gw.nfsPort()).vers("4.1")
                                    .forward(grpcPort).timeout(Duration.ofMinutes(5)),
                            "env", "PYTHONPATH=" + root.resolve("clients/python-stub"), "/usr/bin/python3",
                            work.resolve("job.py").toString(), work.toString(), String.valueOf(grpcPort), JOB,
                            String.valueOf(EPOCHS));
                    System.out.println(run.stdout());
                    run.assertSuccess();
                    int expectedReports = runs * EPOCHS;
                    Await.await(() -> completeEpochs(reports, train.id()) == expectedReports,
                            "run " + runs + ": the job's epochs reported");
                }
                List<EpochReport> done = reports.reports(train.id(), JOB);
                System.out.println(Reports.table(done));
                for (EpochReport r : done) {
                    assertTrue(r.hinted(), "epoch " + r.epoch() + " was hinted");
                    // READs of samples (the kernel client may read a file in more than one); the guest checked
                    // every sample's md5
                    assertTrue(r.samplesRead() >= md5s.size(), "every sample of epoch " + r.epoch() + " read: "
                            + r.samplesRead());
                }
                List<EpochReport> fetched = done.stream().filter(r -> r.s3Bytes() > 0).toList();
                assertEquals(1, fetched.size(), "only the first run's first epoch fetched from S3: the training "
                        + "set stayed cached between epochs and between the runs: " + fetched);
                assertEquals(0, fetched.get(0).epoch());
                assertEquals(List.of(), done.stream().filter(r -> r.readsWaited() > 0 && r != fetched.get(0))
                        .toList(), "no read waited on S3 after the first run's first epoch");
            }
        } finally {
            VmTestSupport.deleteTree(work);
        }
    }

    private static long completeEpochs(ReportStore reports, String dataset) {
        return reports.reports(dataset, JOB).stream().filter(EpochReport::complete).count();
    }

    /** Uploads {@code folder/cN/NNNN.bin} files of 20-50 KB; returns each file's md5 by its path in the export. */
    private static Map<String, String> upload(S3ProxyFixture s3, String folder, int perClass, long seed)
            throws Exception {
        Random random = new Random(seed);
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        Map<String, String> out = new TreeMap<>();
        for (int c = 0; c < CLASSES; c++) {
            for (int i = 0; i < perClass; i++) {
                byte[] data = new byte[20_000 + random.nextInt(30_000)];
                random.nextBytes(data);
                String key = String.format("%s/c%d/%04d.bin", folder, c, i);
                s3.put(BUCKET, key, data);
                out.put(key, HexFormat.of().formatHex(md5.digest(data)));
            }
        }
        return out;
    }

    /**
     * The guest's job: argv = work folder, gRPC port, job, epochs. The page cache is dropped after each epoch so
     * that every epoch's reads reach the gateway.
     */
    private static final String JOB_SCRIPT = """
            import hashlib, os, sys
            import torch
            from torch.utils.data import DataLoader, Dataset, RandomSampler
            from prefetchd_client import HintClient, HintedSampler

            work, port, job, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
            expected = dict(line.split() for line in open(os.path.join(work, "md5s.txt")))
            root = "/mnt/nfs/train"

            class Folder(Dataset):
                def __init__(self, root):
                    classes = sorted(os.listdir(root))
                    self.samples = [(os.path.join(root, c, f), i) for i, c in enumerate(classes)
                                    for f in sorted(os.listdir(os.path.join(root, c)))]
                def __len__(self):
                    return len(self.samples)
                def __getitem__(self, i):
                    path, label = self.samples[i]
                    with open(path, "rb") as f:
                        return path, hashlib.md5(f.read()).hexdigest()

            ds = Folder(root)
            assert len(ds) == len(expected), (len(ds), len(expected))
            client = HintClient(os.environ["VM_NFS_SERVER"] + ":" + port)
            sampler = HintedSampler(RandomSampler(ds, generator=torch.Generator().manual_seed(5)), client,
                                    dataset=root, format="imagefolder", job=job,
                                    paths=[path for path, _ in ds.samples])
            loader = DataLoader(ds, sampler=sampler, batch_size=8, num_workers=2, collate_fn=lambda b: b)
            for epoch in range(epochs):
                sampler.set_epoch(epoch)
                n = 0
                for batch in loader:
                    for path, md5 in batch:
                        key = os.path.relpath(path, "/mnt/nfs")
                        if expected[key] != md5:
                            sys.exit("wrong bytes for %s in epoch %d" % (key, epoch))
                        n += 1
                print("epoch", epoch, "read", n, "samples")
                if os.system("sync; echo 3 > /proc/sys/vm/drop_caches") != 0:
                    sys.exit("cannot drop the page cache: the next epoch would not reach the gateway")
            sampler.close()
            """;
}
