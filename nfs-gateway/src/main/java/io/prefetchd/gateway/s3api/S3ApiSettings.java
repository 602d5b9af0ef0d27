package io.prefetchd.gateway.s3api;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * How the S3 endpoint listens and whom it lets in.
 *
 * @param bind the address to listen on
 * @param port the TCP port, 0 for any free one
 * @param accessKey the access key id clients sign with (SigV4 or SigV2)
 * @param secretKey its secret
 * @param virtualHost the endpoint's host name for virtual-host style requests ({@code bucket.HOST}), empty for
 *     path style only
 * @param partSize the largest read a GET body is served in (one traced read each, as an NFS client's rsize)
 * @param spoolDir the endpoint's own local folder: bodies of PUTs and parts of multipart uploads wait there until
 *     they are objects (emptied at every start)
 */
public record S3ApiSettings(String bind, int port, String accessKey, String secretKey, String virtualHost,
                            int partSize, Path spoolDir) {
    public S3ApiSettings {
        requireNonNull(bind, "bind is null");
        requireNonNull(spoolDir, "spoolDir is null");
        requireNonNull(accessKey, "accessKey is null");
        requireNonNull(secretKey, "secretKey is null");
        requireNonNull(virtualHost, "virtualHost is null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be a TCP port, not " + port);
        }
        if (accessKey.isBlank() || secretKey.isBlank()) {
            throw new IllegalArgumentException("an access key and a secret key are required");
        }
        if (partSize < 4096 || partSize > (64 << 20)) {
            throw new IllegalArgumentException("partSize must be between 4096 and 67108864, not " + partSize);
        }
    }
}
