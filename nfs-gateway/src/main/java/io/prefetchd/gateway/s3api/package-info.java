/**
 * The gateway's S3-compatible endpoint: the export served as one bucket over the S3 protocol, through the same
 * namespace, extent cache, tracer and prefetch planner as NFS.
 *
 * <p>S3Proxy is the front end: HTTP (Jetty), request routing, SigV2/SigV4 authentication in headers and presigned
 * URLs, aws-chunked payloads, XML bodies and error documents. Below it, {@code GatewayBlobStore} is S3Proxy's
 * {@code BlobStore} over {@link io.prefetchd.gateway.fs.VirtualFileSystem}: names and attributes come from the
 * file system's listings (held in memory for indexed datasets), bytes from its extent cache, each part of a GET
 * announced to the {@link io.prefetchd.gateway.fs.ReadObserver} as an NFS READ is. The public surface is
 * {@link io.prefetchd.gateway.s3api.S3ApiServer} and {@link io.prefetchd.gateway.s3api.S3ApiSettings}.
 */
package io.prefetchd.gateway.s3api;
