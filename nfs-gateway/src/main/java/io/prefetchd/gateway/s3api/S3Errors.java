package io.prefetchd.gateway.s3api;

import io.prefetchd.gateway.fs.FsException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import org.jspecify.annotations.Nullable;

/**
 * The one place where the endpoint's failures become S3 errors. S3Proxy writes an {@link S3Exception}'s error code,
 * message and status as the S3 XML error document.
 *
 * <p>From the file system's errors: NOENT, STALE (gone or replaced since it was looked at), ISDIR and NOTDIR
 * are NoSuchKey (404); DELAY (S3 throttled or unavailable after the store's retries) is SlowDown (503), which S3
 * clients retry with backoff; ACCESS is AccessDenied (403, the backend refused the gateway); anything else,
 * IO included (S3 unreachable), is InternalError (500), which clients also retry.
 */
final class S3Errors {
    private S3Errors() {
    }

    static S3Exception noSuchBucket(String bucket) {
        return NoSuchBucketException.builder().statusCode(404)
                .awsErrorDetails(details(404, "NoSuchBucket", "The specified bucket does not exist: " + bucket))
                .message("no bucket " + bucket).build();
    }

    static S3Exception noSuchKey(String key) {
        return NoSuchKeyException.builder().statusCode(404)
                .awsErrorDetails(details(404, "NoSuchKey", "The specified key does not exist."))
                .message("no key " + key).build();
    }

    /** What a read-only bucket answers to every request that would change it. */
    static S3Exception readOnly(String what) {
        return error(403, "AccessDenied", "Access Denied: the bucket is read-only (" + what + ")");
    }

    static S3Exception invalidRange(long size) {
        return error(416, "InvalidRange", "The requested range is not satisfiable (object size " + size + ")");
    }

    static S3Exception notModified() {
        return error(304, "NotModified", "Not Modified");
    }

    static S3Exception preconditionFailed(String header) {
        return error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold ("
                + header + ")");
    }

    static S3Exception noSuchUpload() {
        return error(404, "NoSuchUpload", "The specified multipart upload does not exist.");
    }

    static S3Exception fromFs(FsException e, String key) {
        return switch (e.error()) {
            case NOENT, STALE, ISDIR, NOTDIR -> noSuchKey(key);
            case DELAY -> error(503, "SlowDown", "Please reduce your request rate (" + e.getMessage() + ")");
            case ACCESS -> error(403, "AccessDenied", "Access Denied (" + e.getMessage() + ")");
            default -> error(500, "InternalError", "We encountered an internal error. Please try again. ("
                    + e.getMessage() + ")");
        };
    }

    /**
     * A write's failure: the same as {@link #fromFs} but for what only writes meet. A name S3 could hold but the
     * file system cannot (a key below an object's key, a key that is a folder's name, an empty or {@code .} or
     * {@code ..} segment) is InvalidRequest (400), as it would be on every retry; a read-only file system or export
     * is AccessDenied; no room is InternalError.
     */
    static S3Exception fromFsWrite(FsException e, String key) {
        return switch (e.error()) {
            case ROFS -> readOnly("write of " + key);
            case ISDIR, NOTDIR, EXIST, BADNAME, INVAL -> invalidKey(key,
                    e.getMessage());
            case NAMETOOLONG -> error(400, "KeyTooLongError", "Your key is too long: a name in it is over 255 "
                    + "bytes");
            default -> fromFs(e, key);
        };
    }

    /** A key this bucket cannot hold, because the bucket is also a file system. */
    static S3Exception invalidKey(String key, @Nullable String why) {
        return error(400, "InvalidRequest", "The key " + key + " cannot be stored here: the bucket is also a file "
                + "system (" + why + ")");
    }

    static S3Exception internal(String message) {
        return error(500, "InternalError", "We encountered an internal error. Please try again. (" + message + ")");
    }

    static S3Exception invalidDigest() {
        return error(400, "InvalidDigest", "The Content-MD5 you specified is not valid.");
    }

    static S3Exception badDigest() {
        return error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    }

    static S3Exception incompleteBody(String message) {
        return error(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length "
                + "HTTP header (" + message + ")");
    }

    static S3Exception invalidPart(int number) {
        return error(400, "InvalidPart", "One or more of the specified parts could not be found (part " + number
                + ").");
    }

    /** A part or an abort while the upload's completion is under way. */
    static S3Exception uploadCompleting() {
        return error(409, "OperationAborted", "A conflicting conditional operation is currently in progress against "
                + "this resource: the upload is being completed.");
    }

    static S3Exception invalidArgument(String message) {
        return error(400, "InvalidArgument", message);
    }

    static S3Exception bucketAlreadyOwnedByYou(String bucket) {
        return error(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded "
                + "and you already own it: " + bucket);
    }

    private static S3Exception error(int status, String code, String message) {
        return (S3Exception) S3Exception.builder().statusCode(status).awsErrorDetails(details(status, code, message))
                .message(message).build();
    }

    private static AwsErrorDetails details(int status, String code, String message) {
        return AwsErrorDetails.builder().errorCode(code).errorMessage(message).serviceName("S3")
                .sdkHttpResponse(SdkHttpResponse.builder().statusCode(status).build()).build();
    }
}
