/**
 * Access tracer: records every client read the gateway serves and keeps per-epoch Arrow IPC traces that the
 * planner, pyarrow, pandas and DuckDB read. Depends on no other prefetchd module. {@code docs/TRACES.md} is the
 * user-facing contract (schema, files, crash window, retention, query examples).
 *
 * <h2>Surface</h2>
 * <ul>
 *   <li>Writing: {@link io.prefetchd.tracer.AccessTracer} ({@code record} on every READ; {@code beginEpoch},
 *   {@code endEpoch} from the hint API; {@code datasetSize}; {@code flush}; {@code stats}; {@code close}),
 *   configured by {@link io.prefetchd.tracer.TracerConfig}, timed by an injected
 *   {@link io.prefetchd.tracer.NanoClock}, observed through {@link io.prefetchd.tracer.TracerListener} and
 *   {@link io.prefetchd.tracer.TracerStats}.</li>
 *   <li>Reading: {@link io.prefetchd.tracer.TraceStore} lists {@link io.prefetchd.tracer.EpochTrace}s, iterates
 *   their {@link io.prefetchd.tracer.ReadRecord}s ({@link io.prefetchd.tracer.EpochReads}, which also reads files
 *   cut by a crash), and summarises them per object ({@link io.prefetchd.tracer.ObjectSummary}) and per sample
 *   ({@link io.prefetchd.tracer.SampleSummary}, through a caller's {@link io.prefetchd.tracer.SampleMapper}).</li>
 *   <li>Command line: {@link io.prefetchd.tracer.cli.TraceCommand} ({@code trace ls | show | export}).</li>
 * </ul>
 *
 * <h2>The epoch rule</h2>
 * Epochs belong to a <em>stream</em>: one (dataset, job) pair exactly as passed to {@code record}. Each stream
 * numbers its epochs 0, 1, 2, ... and has at most one current epoch. The writer applies the rule to records in
 * the order it receives them, using each record's own timestamp; hints and sizes take effect exactly between the
 * records made before and after the call.
 * <ol>
 *   <li><b>Hinted epochs.</b> {@code beginEpoch(d, j, n)}: if the stream's current epoch is an inferred one
 *   numbered {@code n}, it is adopted (becomes hinted; reads that raced ahead of the hint stay in it); if it is
 *   already hinted epoch {@code n}, nothing changes; otherwise the current epoch ends and hinted epoch {@code n}
 *   begins. A hinted epoch ends only at {@code endEpoch(d, j)}, at {@code beginEpoch} with another number, or at
 *   shutdown. Coverage does not end it. After the idle gap without a read its file is closed, and later reads of
 *   the same epoch go to a new part file ({@code epoch-n.part2.arrow}, ...).</li>
 *   <li><b>Inferred epochs.</b> A read of a stream with no current epoch starts one, numbered one more than the
 *   highest epoch number the stream has used since start or has a file for on disk (0 for a new stream). It
 *   ends at the first of:
 *   <ol type="a">
 *     <li><b>coverage</b>: the read that brings the epoch's bytes read (the sum of {@code length} over its reads,
 *     re-reads counted again) to at least the dataset's size, as last set by {@code datasetSize(d, bytes)}; that
 *     read is the epoch's last. Without a size (or size 0), coverage never ends an epoch;</li>
 *     <li><b>idle gap</b>: a read whose time is at least {@code idleGap} (default 60 s) after the previous read of
 *     the stream belongs to the next epoch; and the writer also ends the epoch once the clock shows
 *     {@code idleGap} since the last read (checked every 10 ms or less, and at {@code flush()}), so its file is
 *     finished without waiting for another read;</li>
 *     <li>{@code endEpoch(d, j)}, {@code beginEpoch(d, j, m)} (unless it adopts it), or shutdown.</li>
 *   </ol></li>
 *   <li><b>Restart.</b> Epoch state is not persisted: after a restart the next read starts a new inferred epoch
 *   (numbered after the files on disk) unless the gateway repeats the job's hint. A hinted epoch whose file
 *   exists gets a new part, so nothing is overwritten.</li>
 * </ol>
 * Because epoch state is per stream, inference is per dataset when the gateway passes one job name for every
 * client of a dataset (what it should do without hints), and per job when hints name the job.
 *
 * <h2>Threads</h2>
 * {@code AccessTracer} methods are thread-safe and never block on I/O (only {@code flush().get()} and
 * {@code close()} wait). One writer thread, supplied by the caller's executor, owns all files and epoch state.
 * {@code TraceStore} is thread-safe; the iterators it returns are not.
 */
package io.prefetchd.tracer;
