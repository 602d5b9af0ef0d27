/**
 * Helpers for integration tests through real clients (test scope only).
 *
 * <ul>
 *   <li>{@link io.prefetchd.gateway.testing.VmNfsClient}: the real Linux kernel NFS client in a
 *       QEMU guest ({@code shared/tools/vm-nfs-client}); needs root; exit 32 = mount failed,
 *       124 = timeout, 125 = VM failure, spelled out by {@code Result.describe()}.
 *   <li>{@link io.prefetchd.gateway.testing.LibNfs}: {@code nfs-cat}/{@code nfs-ls} from Debian's
 *       libnfs-utils, a user-space client; NFSv4.0 only.
 *   <li>{@link io.prefetchd.gateway.testing.GuestScripts} and
 *       {@link io.prefetchd.gateway.testing.RandomReadsVerifier}: random {@code pread}s in the
 *       guest ({@code guest/random_reads.py}), each checked on the host against the source bytes
 *       (e.g. {@code DemoDataset::content}).
 * </ul>
 *
 * Every helper has {@code isAvailable()} and {@code unavailableReason()} for
 * {@code io.prefetchd.testing.Prerequisites.require(x.isAvailable(), x.unavailableReason())} (from the
 * access-tracer test-jar): skipped where the tool is missing, a failure when {@code CI} is set.
 */
package io.prefetchd.gateway.testing;
