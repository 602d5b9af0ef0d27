/**
 * Access tracer: records every client read the gateway serves and keeps per-epoch Arrow IPC traces.
 * Depends on no other prefetchd module.
 */
package io.prefetchd.tracer;
