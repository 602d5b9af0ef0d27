/**
 * The embedded default: an in-process S3 server over a local folder ({@link
 * io.prefetchd.gateway.embedded.EmbeddedS3}) and a reproducible demo dataset to fill it ({@link
 * io.prefetchd.gateway.embedded.DemoDataset}), so that the gateway runs with no S3 account and
 * the integration tests have a real S3 endpoint.
 *
 * <h2>How the embedded store differs from AWS S3</h2>
 *
 * Measured with the AWS SDK v2 (Netty client, path-style) against S3Proxy 4.1.0's
 * {@code FilesystemNio2BlobStore}; each point is pinned by {@code EmbeddedS3QuirksIT}.
 * Same as AWS: single-part ETag is the quoted hex MD5 of the bytes; multipart ETag is
 * {@code "md5(part md5s)-N"}; {@code Range: bytes=a-b}, {@code a-}, {@code -n} and an end past the
 * size behave as on AWS, a start at or past the size gives 416; {@code If-Match} with a stale ETag
 * gives 412 {@code PreconditionFailed} on GET and HEAD, {@code If-None-Match} gives 304; ListObjectsV2
 * caps pages at 1000 keys and continues with the token; delimiter listings show common prefixes;
 * ETags, sizes and Last-Modified survive a restart over the same folder.
 * <ul>
 *   <li><b>A key cannot be both an object and a "folder".</b> Keys map to paths, so with {@code x}
 *       stored, {@code PUT x/y} fails with 500 InternalError, and with {@code d/e} stored,
 *       {@code PUT d} fails with 500 (the SDK retries it three times first). AWS allows both.
 *   <li><b>Empty and {@code .} path segments are collapsed:</b> {@code a//b} is stored and listed
 *       as {@code a/b}, {@code c/./d} as {@code c/d}, overwriting whatever had that name;
 *       a {@code ..} segment is refused by Jetty with 400 and a dropped connection (clients see
 *       either the 400 or "connection closed"); nothing is written.
 *   <li><b>Listing order is UTF-16 (Java String) order, not UTF-8 byte order.</b> It agrees with
 *       AWS for keys without characters above U+FFFF; keys with such characters (emoji) sort
 *       before U+E000..U+FFFF here and after them on AWS.
 *   <li><b>Files copied into the folder by hand have no ETag</b> (HEAD, GET and listings return
 *       none) and GET ignores {@code If-Match} for them: the MD5 lives in a {@code user.content-md5}
 *       extended attribute that only uploads through S3 write. Upload through the S3 API (as
 *       {@code DemoDataset} does); the gateway must not assume every object has an ETag.
 *   <li><b>Empty directories in the folder are listed as common prefixes;</b> on AWS a prefix with
 *       no keys below it does not exist. (Deleting the last key through S3 removes the directory.)
 *   <li><b>Last-Modified is the file's mtime</b>, with one-second precision, so touching a file
 *       changes it without changing the ETag.
 *   <li>HEAD sends no {@code Accept-Ranges: bytes} header; ranged GETs work regardless.
 *   <li>Content types are normalised ({@code text/plain; charset=utf-8} comes back as
 *       {@code text/plain;charset=utf-8}).
 * </ul>
 *
 * <p>S3Proxy logs several INFO lines (CORS settings, Jetty start) through SLF4J on start; set the
 * {@code org.gaul} logger to WARN to keep the embedded server to its own single line.
 */
package io.prefetchd.gateway.embedded;
