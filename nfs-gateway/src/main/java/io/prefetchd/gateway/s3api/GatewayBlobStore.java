package io.prefetchd.gateway.s3api;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.VirtualFileSystem;
import io.prefetchd.gateway.nfs.NfsException;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.CreateBucketResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListBucketsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.Owner;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * S3Proxy's {@link BlobStore} over the gateway's file system: the export as one bucket named {@code bucket}, each
 * file one object whose key is its path in the export.
 *
 * <ul>
 * <li><b>GET</b> looks the key up (from a listing held or cached when there is one, else a HEAD of the backend),
 *     checks the conditional headers ({@link Preconditions}) and the range ({@link ByteRange}), reads the first
 *     part and answers; the body is an {@link ObjectStream} of exactly that version: cached blocks from disk,
 *     misses read through to S3, every part traced and planned as an NFS READ.</li>
 * <li><b>HEAD</b> is the same lookup; S3Proxy checks its conditional headers itself.</li>
 * <li><b>ListObjects</b> (v2, and v1 through S3Proxy's mapping onto v2) is {@link BucketListing} over the tree.</li>
 * <li><b>Writes</b> (PUT, copy, delete, multipart, ACLs, bucket changes) are refused with AccessDenied (403),
 *     what S3 answers for a bucket the caller may read but not write: the file system takes no writes here.</li>
 * </ul>
 *
 * <p>Every request that reaches the store is counted by operation and status ({@link S3ApiMetrics}); failures
 * become S3 errors in {@link S3Errors}. Thread-safe: all state is immutable or thread-safe.
 */
final class GatewayBlobStore implements BlobStore {
    /** GETs' bodies come through the reader under this address in traces. */
    static final ReadObserver.Reader READER = new ReadObserver.Reader(0, "s3-api");
    private static final String CONTENT_TYPE = "application/octet-stream";
    private static final long MIN_PART_SIZE = 5L << 20;

    private final String bucket;
    private final VirtualFileSystem fs;
    private final ReadObserver observer;
    private final int partSize;
    private final Instant created;
    private final S3ApiMetrics metrics;
    private final BucketListing listing;

    @FunctionalInterface
    private interface Operation<T> {
        T run() throws NfsException;
    }

    /**
     * @param partSize the largest read of one part of a GET body (as an NFS client's rsize)
     * @param created the bucket's creation date in ListBuckets
     */
    GatewayBlobStore(String bucket, VirtualFileSystem fs, ReadObserver observer, int partSize, Instant created,
                     S3ApiMetrics metrics) {
        this.bucket = requireNonNull(bucket, "bucket is null");
        this.fs = requireNonNull(fs, "fs is null");
        this.observer = requireNonNull(observer, "observer is null");
        this.created = requireNonNull(created, "created is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        if (partSize <= 0) {
            throw new IllegalArgumentException("partSize must be positive: " + partSize);
        }
        this.partSize = partSize;
        this.listing = new BucketListing(fs);
    }

    /** Runs {@code op} as operation {@code name}, counting its outcome; NFS failures become S3 errors for key. */
    private <T> T counted(String name, String key, int okStatus, Operation<T> op) {
        try {
            T result = op.run();
            metrics.request(name, okStatus);
            return result;
        } catch (NfsException e) {
            S3Exception s3 = S3Errors.fromFs(e, key);
            metrics.request(name, s3.statusCode());
            throw s3;
        } catch (S3Exception e) {
            metrics.request(name, e.statusCode());
            throw e;
        } catch (RuntimeException e) {
            metrics.request(name, 500);
            throw e;
        }
    }

    private void requireBucket(String name) {
        if (!bucket.equals(name)) {
            throw S3Errors.noSuchBucket(name);
        }
    }

    /** The file a key names, or NoSuchKey when no file of the tree can have that key. */
    private static Inode file(String key) {
        if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw S3Errors.noSuchKey(String.valueOf(key));
        }
        for (String c : key.split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..")) {
                throw S3Errors.noSuchKey(key);
            }
        }
        return new Inode(FileType.REGULAR, key);
    }

    private FileAttributes attributes(Inode file) throws NfsException {
        FileAttributes a = fs.getattr(file);
        if (a.type() != FileType.REGULAR) {
            throw S3Errors.noSuchKey(file.path());
        }
        return a;
    }

    private static String quoted(String etag) {
        return "\"" + etag + "\"";
    }

    // ---- reads

    @Override
    public ListBucketsResponse list() {
        return counted("list_buckets", "", 200, () -> ListBucketsResponse.builder()
                .buckets(Bucket.builder().name(bucket).creationDate(created).build())
                .owner(Owner.builder().id("prefetchd").displayName("prefetchd").build()).build());
    }

    @Override
    public HeadBucketResponse headBucket(HeadBucketRequest request) {
        return counted("head_bucket", "", 200, () -> {
            requireBucket(request.bucket());
            return HeadBucketResponse.builder().build();
        });
    }

    @Override
    public ListObjectsV2Response list(ListObjectsV2Request request) {
        return counted("list", "", 200, () -> {
            requireBucket(request.bucket());
            String prefix = request.prefix() == null ? "" : request.prefix();
            String delimiter = request.delimiter() == null ? "" : request.delimiter();
            int maxKeys = request.maxKeys() == null ? BucketListing.MAX_KEYS : request.maxKeys();
            if (maxKeys < 0) {
                throw S3Errors.invalidArgument("max-keys must not be negative");
            }
            BucketListing.Marker after = null;
            if (request.continuationToken() != null && !request.continuationToken().isEmpty()) {
                try {
                    after = BucketListing.Marker.ofToken(request.continuationToken());
                } catch (IllegalArgumentException e) {
                    throw S3Errors.invalidArgument("The continuation token provided is incorrect");
                }
            } else if (request.startAfter() != null && !request.startAfter().isEmpty()) {
                after = new BucketListing.Marker(request.startAfter(), false);
            }
            BucketListing.Page page = listing.list(prefix, delimiter, after, maxKeys);
            List<S3Object> contents = new ArrayList<>(page.objects().size());
            for (BucketListing.Item it : page.objects()) {
                FileAttributes a = it.entry().attributes();
                contents.add(S3Object.builder().key(it.key()).size(a.size()).eTag(quoted(a.etag()))
                        .lastModified(a.mtime()).storageClass(StorageClass.STANDARD.toString()).build());
            }
            List<CommonPrefix> prefixes = new ArrayList<>(page.commonPrefixes().size());
            for (String p : page.commonPrefixes()) {
                prefixes.add(CommonPrefix.builder().prefix(p).build());
            }
            return ListObjectsV2Response.builder().name(bucket).prefix(prefix)
                    .delimiter(delimiter.isEmpty() ? null : delimiter).maxKeys(maxKeys)
                    .keyCount(contents.size() + prefixes.size()).isTruncated(page.truncated())
                    .contents(contents).commonPrefixes(prefixes)
                    .continuationToken(request.continuationToken()).startAfter(request.startAfter())
                    .nextContinuationToken(page.truncated() ? page.next().token() : null).build();
        });
    }

    @Override
    public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
        return counted("head", request.key(), 200, () -> {
            requireBucket(request.bucket());
            FileAttributes a = attributes(file(request.key()));
            return HeadObjectResponse.builder().contentLength(a.size()).eTag(quoted(a.etag()))
                    .lastModified(a.mtime()).contentType(CONTENT_TYPE).acceptRanges("bytes")
                    .storageClass(StorageClass.STANDARD).build();
        });
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
        boolean ranged = request.range() != null;
        return counted("get", request.key(), ranged ? 206 : 200, () -> {
            requireBucket(request.bucket());
            Inode file = file(request.key());
            FileAttributes a = attributes(file);
            Preconditions.check(a, request.ifMatch(), request.ifUnmodifiedSince(), request.ifNoneMatch(),
                    request.ifModifiedSince());
            ByteRange range = ByteRange.of(request.range(), a.size());
            ObjectStream body = new ObjectStream(fs, observer, READER, file, a, range, partSize, metrics);
            body.readFirstPart();
            GetObjectResponse response = GetObjectResponse.builder().contentLength(range.length())
                    .contentRange(range.partial() ? range.contentRange(a.size()) : null)
                    .eTag(quoted(a.etag())).lastModified(a.mtime()).contentType(CONTENT_TYPE)
                    .acceptRanges("bytes").storageClass(StorageClass.STANDARD).build();
            return new ResponseInputStream<>(response, AbortableInputStream.create(body));
        });
    }

    @Override
    public BucketCannedACL getContainerAccess(String container) {
        return counted("get_bucket_acl", "", 200, () -> {
            requireBucket(container);
            return BucketCannedACL.PRIVATE;
        });
    }

    @Override
    public ObjectCannedACL getBlobAccess(String container, String key) {
        return counted("get_object_acl", key, 200, () -> {
            requireBucket(container);
            attributes(file(key));
            return ObjectCannedACL.PRIVATE;
        });
    }

    @Override
    public List<software.amazon.awssdk.services.s3.model.MultipartUpload> listMultipartUploads(String container) {
        return counted("list_uploads", "", 200, () -> {
            requireBucket(container);
            return List.of();   // none can be started
        });
    }

    @Override
    public List<Part> listMultipartUpload(MultipartUpload upload) {
        return counted("list_parts", upload.blobName(), 404, () -> {
            requireBucket(upload.containerName());
            throw S3Errors.noSuchUpload();
        });
    }

    @Override
    public long getMinimumMultipartPartSize() {
        return MIN_PART_SIZE;
    }

    // ---- writes: refused (the seam for the write path)

    /** Refuses a write to the bucket: NoSuchBucket for another bucket, else AccessDenied. */
    private <T> T refuse(String name, String container) {
        return counted(name, "", 403, () -> {
            requireBucket(container);
            throw S3Errors.readOnly(name);
        });
    }

    @Override
    public CreateBucketResponse createContainer(CreateBucketRequest request) {
        return counted("create_bucket", "", 200, () -> {
            throw bucket.equals(request.bucket()) ? S3Errors.bucketAlreadyOwnedByYou(bucket)
                    : S3Errors.readOnly("create_bucket");
        });
    }

    @Override
    public void setContainerAccess(String container, BucketCannedACL access) {
        refuse("put_bucket_acl", container);
    }

    @Override
    public void deleteBucket(String container) {
        refuse("delete_bucket", container);
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream body) {
        return refuse("put", request.bucket());
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        return refuse("copy", request.destinationBucket());
    }

    @Override
    public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
        return refuse("delete", request.bucket());
    }

    /** Every key of the batch fails with AccessDenied (a batch delete answers 200 with errors per key). */
    @Override
    public DeleteObjectsResponse removeBlobs(DeleteObjectsRequest request) {
        return counted("delete_batch", "", 200, () -> {
            requireBucket(request.bucket());
            List<S3Error> errors = new ArrayList<>();
            if (request.delete() != null) {
                request.delete().objects().forEach(o -> errors.add(S3Error.builder().key(o.key())
                        .versionId(o.versionId()).code("AccessDenied")
                        .message("Access Denied: the bucket is read-only").build()));
            }
            return DeleteObjectsResponse.builder().errors(errors).build();
        });
    }

    @Override
    public void setBlobAccess(String container, String key, ObjectCannedACL access) {
        refuse("put_object_acl", container);
    }

    @Override
    public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
        return refuse("create_upload", request.bucket());
    }

    @Override
    public void abortMultipartUpload(MultipartUpload upload) {
        counted("abort_upload", upload.blobName(), 404, () -> {
            requireBucket(upload.containerName());
            throw S3Errors.noSuchUpload();
        });
    }

    @Override
    public CompleteMultipartUploadResponse completeMultipartUpload(MultipartUpload upload,
                                                                   CompleteMultipartUploadRequest request) {
        return refuse("complete_upload", upload.containerName());
    }

    @Override
    public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request,
                                                  InputStream body) {
        return refuse("upload_part", upload.containerName());
    }
}
