/** Side-by-side benchmark harness and JMH micro-benchmarks. */
package io.prefetchd.benchmarks;
