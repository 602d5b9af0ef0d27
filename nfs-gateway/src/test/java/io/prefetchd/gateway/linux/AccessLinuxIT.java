package io.prefetchd.gateway.linux;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.prefetchd.gateway.daemon.Daemon;
import io.prefetchd.gateway.daemon.Gateway;
import io.prefetchd.gateway.s3.S3ProxyFixture;
import io.prefetchd.gateway.testing.VmNfsClient;
import io.prefetchd.gateway.testing.VmTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The export table through the real Linux kernel client, which reaches the gateway from 127.0.0.1: a gateway whose
 * table leaves 127.0.0.1 out refuses the mount; one that admits it with root squashing and an owner/mode shows
 * that owner, lets the owner and its group read, and refuses the squashed root and other users.
 */
class AccessLinuxIT {
    private static final String BUCKET = "access-it";
    private static final String SECRET = "only for uid 1000 and group 1000\n";
    private static final VmNfsClient VM = VmNfsClient.locate();
    @TempDir
    static Path work;
    private static S3ProxyFixture s3;
    private static ApplicationContext refusing;
    private static ApplicationContext squashing;

    @BeforeAll
    static void start() throws Exception {
        VmTestSupport.requireVm(VM);
        s3 = S3ProxyFixture.startOnDisk(Files.createDirectories(work.resolve("s3")));
        s3.createBucket(BUCKET);
        s3.put(BUCKET, "secret.txt", SECRET.getBytes(StandardCharsets.UTF_8));
        s3.put(BUCKET, "dir/inner.txt", "inner\n".getBytes(StandardCharsets.UTF_8));

        Map<String, Object> p = s3.daemonProperties(BUCKET, work.resolve("refusing"));
        p.put("prefetchd.access.exports", "10.255.0.0/16 rw, fd00::/8");
        refusing = Daemon.start(p);

        Map<String, Object> q = s3.daemonProperties(BUCKET, work.resolve("squashing"));
        q.put("prefetchd.access.exports", "10.255.0.0/16 rw no-squash, 127.0.0.1 ro root-squash anon-uid=2000 anon-gid=2000");
        q.put("prefetchd.access.uid", 1000);
        q.put("prefetchd.access.gid", 1000);
        q.put("prefetchd.access.file-mode", "0640");
        q.put("prefetchd.access.dir-mode", "0755");
        squashing = Daemon.start(q);
    }

    @AfterAll
    static void stop() {
        for (ApplicationContext c : new ApplicationContext[] {refusing, squashing}) {
            if (c != null) {
                c.close();
            }
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private static int port(ApplicationContext daemon) {
        return daemon.getBean(Gateway.class).nfsPort();
    }

    @Test
    void clientOutsideEveryRule_mountFailsWithAccessDenied_andTheRefusalIsCounted() {
        VmNfsClient.Result r = VM.run(VmNfsClient.Options.mount(port(refusing)).vers("4.1")
                .timeout(Duration.ofMinutes(3)), "true");
        assertEquals(VmNfsClient.EXIT_MOUNT_FAILED, r.exitCode(), r.describe());
        assertTrue(r.stderr().contains("ermission denied") || r.stderr().contains("access denied"), r.describe());
        double refused = refusing.getBean(PrometheusMeterRegistry.class).get("prefetchd.nfs.refused").counter().count();
        assertTrue(refused >= 1, "refusals counted: " + refused);
    }

    @Test
    void rootSquash_ownerAndGroupRead_squashedRootAndOthersDenied_readOnlyNeverWritable() throws Exception {
        Path out = Files.createDirectories(work.resolve("squash-out")).toAbsolutePath();
        String as1000 = "setpriv --reuid 1000 --regid 1000 --clear-groups ";
        String member = "setpriv --reuid 3000 --regid 3000 --groups 1000 ";
        String other = "setpriv --reuid 3000 --regid 3000 --clear-groups ";
        String o = out + "/";
        String cmd = "cd /mnt/nfs; "
                + "stat -c '%u %g %a' secret.txt dir > " + o + "stat.txt; "
                + "cat secret.txt > " + o + "root.txt 2>&1; echo $? > " + o + "root.rc; "
                + as1000 + "cat secret.txt > " + o + "owner.txt 2>&1; echo $? > " + o + "owner.rc; "
                + member + "cat secret.txt > " + o + "member.txt 2>&1; echo $? > " + o + "member.rc; "
                + other + "cat secret.txt > " + o + "other.txt 2>&1; echo $? > " + o + "other.rc; "
                + other + "ls dir > " + o + "other-ls.txt 2>&1; echo $? > " + o + "other-ls.rc; "
                + as1000 + "sh -c 'test -w secret.txt'; echo $? > " + o + "owner-writable.rc; "
                + "true";
        VM.run(VmNfsClient.Options.mount(port(squashing)).vers("4.1").share(out).timeout(Duration.ofMinutes(4)),
                "sh", "-c", cmd).assertSuccess();

        assertEquals("1000 1000 640\n1000 1000 755\n", read(out, "stat.txt"), "owner and modes as configured");
        assertEquals("0", read(out, "owner.rc").trim(), read(out, "owner.txt"));
        assertEquals(SECRET, read(out, "owner.txt"));
        assertEquals("0", read(out, "member.rc").trim(), "group 1000 as a supplementary group: " + read(out, "member.txt"));
        assertEquals(SECRET, read(out, "member.txt"));
        assertNotEquals("0", read(out, "root.rc").trim(), "root is squashed to uid 2000: " + read(out, "root.txt"));
        assertTrue(read(out, "root.txt").contains("Permission denied"), read(out, "root.txt"));
        assertNotEquals("0", read(out, "other.rc").trim(), read(out, "other.txt"));
        assertTrue(read(out, "other.txt").contains("Permission denied"), read(out, "other.txt"));
        assertEquals("inner.txt\n", read(out, "other-ls.txt"), "directories are 0755: others may list them");
        assertEquals("1", read(out, "owner-writable.rc").trim(), "a read-only client is never granted MODIFY");
    }

    private static String read(Path dir, String name) throws Exception {
        return Files.readString(dir.resolve(name));
    }
}
