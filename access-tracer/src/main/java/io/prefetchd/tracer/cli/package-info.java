/**
 * The {@code trace} command line: {@code ls}, {@code show} and {@code export} over a state folder's traces. Uses
 * only the public API of {@code io.prefetchd.tracer}; the gateway's launcher mounts {@link
 * io.prefetchd.tracer.cli.TraceCommand} as {@code prefetchd trace}.
 */
package io.prefetchd.tracer.cli;
