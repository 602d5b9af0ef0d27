/**
 * The {@code prefetchd index} command: builds a dataset index from a local folder or, with a source factory
 * supplied by the gateway, from {@code s3://} URLs, and prints a summary or every sample's extents as JSON.
 */
package io.prefetchd.formats.cli;
