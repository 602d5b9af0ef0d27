package io.prefetchd.gateway.s3api;

import io.prefetchd.gateway.fs.FileAttributes;
import io.prefetchd.gateway.fs.FileType;
import io.prefetchd.gateway.fs.FsError;
import io.prefetchd.gateway.fs.FsException;
import io.prefetchd.gateway.fs.Inode;
import io.prefetchd.gateway.fs.NewAttributes;
import io.prefetchd.gateway.fs.Owner;
import io.prefetchd.gateway.fs.ReadObserver;
import io.prefetchd.gateway.fs.VirtualFileSystem;
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
import software.amazon.awssdk.services.s3.model.CopyObjectResult;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeletedObject;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
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
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

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
 * <li><b>Writes</b> go through the file system's write path, so NFS sees them the moment they answer and S3 has
 *     them: PUT and UploadPart bodies are received into a local spool ({@link BodySpool}, length and Content-MD5
 *     checked), multipart parts kept there until the completion joins them ({@link MultipartUploads}); the object
 *     is then {@link VirtualFileSystem#put}, which returns once the backend has it, and the answer carries the
 *     backend's ETag (the MD5 of the bytes for an object up to the multipart threshold of the gateway's uploads).
 *     DeleteObject(s) is the file system's REMOVE; CopyObject reads the source version through the cache into the
 *     spool and puts it. With writes off (a read-only gateway, or {@code writes} says no for this client) every
 *     write is AccessDenied (403), what S3 answers for a bucket the caller may read but not write. ACLs and bucket
 *     changes are always refused.</li>
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
    /** The MD5 of no bytes: the ETag of a folder marker. */
    private static final String EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";

    private final String bucket;
    private final VirtualFileSystem fs;
    private final ReadObserver observer;
    private final int partSize;
    private final Clock clock;
    private final Instant created;
    private final BodySpool spool;
    private final MultipartUploads uploads;
    private final Owner folderOwner;
    private final BooleanSupplier writes;
    private final S3ApiMetrics metrics;
    private final BucketListing listing;

    @FunctionalInterface
    private interface Operation<T> {
        T run() throws FsException;
    }

    /**
     * @param partSize the largest read of one part of a GET body (as an NFS client's rsize)
     * @param clock the bucket's creation date in ListBuckets is its start; mtimes of writes without one
     * @param spoolDir the endpoint's own folder for request bodies and multipart parts (emptied now)
     * @param folderOwner the owner of folders made by a PUT of {@code name/} that names none
     * @param writes asked on the request's thread: whether this request may write (its client's export rule)
     */
    GatewayBlobStore(String bucket, VirtualFileSystem fs, ReadObserver observer, int partSize, Clock clock,
                     Path spoolDir, Owner folderOwner, BooleanSupplier writes, S3ApiMetrics metrics) {
        this.bucket = requireNonNull(bucket, "bucket is null");
        this.fs = requireNonNull(fs, "fs is null");
        this.observer = requireNonNull(observer, "observer is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.created = clock.instant();
        this.folderOwner = requireNonNull(folderOwner, "folderOwner is null");
        this.writes = requireNonNull(writes, "writes is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        if (partSize <= 0) {
            throw new IllegalArgumentException("partSize must be positive: " + partSize);
        }
        this.partSize = partSize;
        this.listing = new BucketListing(fs);
        this.spool = new BodySpool(requireNonNull(spoolDir, "spoolDir is null"));
        this.uploads = new MultipartUploads(spool, clock);
    }

    /** Runs {@code op} as operation {@code name}, counting its outcome; file-system errors become S3 errors. */
    private <T> T counted(String name, String key, int okStatus, Operation<T> op) {
        try {
            T result = op.run();
            metrics.request(name, okStatus);
            return result;
        } catch (FsException e) {
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

    private FileAttributes attributes(Inode file) throws FsException {
        FileAttributes a = fs.getattr(file);
        if (a.type() != FileType.REGULAR) {
            throw S3Errors.noSuchKey(file.path());
        }
        return a;
    }

    /**
     * The attributes of the folder a key ending in {@code /} names, or null when the key is no such key or names no
     * folder.
     */
    private @Nullable FileAttributes folder(@Nullable String key) throws FsException {
        if (key == null || key.length() < 2 || !key.endsWith("/")) {
            return null;
        }
        String path = key.substring(0, key.length() - 1);
        for (String c : path.split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..")) {
                return null;
            }
        }
        Inode dir = new Inode(FileType.DIRECTORY, path);
        try {
            return fs.lookup(new Inode(FileType.DIRECTORY, dir.parentPath()), dir.name()).isDirectory()
                    ? fs.getattr(dir) : null;
        } catch (FsException e) {
            if (e.error() == FsError.NOENT || e.error() == FsError.STALE
                    || e.error() == FsError.NOTDIR) {
                return null;
            }
            throw e;
        }
    }

    private static String fileEtag(FileAttributes a) {
        return requireNonNull(a.etag(), "a file's attributes carry its etag");
    }

    private static String quoted(String etag) {
        return "\"" + etag + "\"";
    }

    // ---- reads

    @Override
    public ListBucketsResponse list() {
        return counted("list_buckets", "", 200, () -> ListBucketsResponse.builder()
                .buckets(Bucket.builder().name(bucket).creationDate(created).build())
                .owner(software.amazon.awssdk.services.s3.model.Owner.builder().id("prefetchd").displayName("prefetchd").build()).build());
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
                contents.add(S3Object.builder().key(it.key()).size(a.size()).eTag(quoted(fileEtag(a)))
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
                    .nextContinuationToken(page.truncated()
                            ? requireNonNull(page.next(), "a truncated page has a next marker").token() : null)
                    .build();
        });
    }

    @Override
    public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
        return counted("head", request.key(), 200, () -> {
            requireBucket(request.bucket());
            FileAttributes folder = folder(request.key());
            if (folder != null) {   // as a folder marker: what s3fs and rclone look for after making a folder
                return HeadObjectResponse.builder().contentLength(0L).eTag(quoted(EMPTY_MD5))
                        .lastModified(folder.mtime()).contentType(CONTENT_TYPE).storageClass(StorageClass.STANDARD)
                        .build();
            }
            FileAttributes a = attributes(file(request.key()));
            return HeadObjectResponse.builder().contentLength(a.size()).eTag(quoted(fileEtag(a)))
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
                    .eTag(quoted(fileEtag(a))).lastModified(a.mtime()).contentType(CONTENT_TYPE)
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
    public long getMinimumMultipartPartSize() {
        return MIN_PART_SIZE;
    }

    // ---- writes

    /** Refuses a change of the bucket itself or of access rights: NoSuchBucket for another bucket, else AccessDenied. */
    private <T> T refuse(String name, String container) {
        return counted(name, "", 403, () -> {
            requireBucket(container);
            throw S3Errors.readOnly(name);
        });
    }

    /** Checks that writes to {@code container} are allowed at all: it is this bucket and writes are on. */
    private void requireWritable(String container) {
        requireBucket(container);
        if (!fs.writable() || !writes.getAsBoolean()) {
            throw S3Errors.readOnly("the gateway or this client's export rule is read-only");
        }
    }

    /** The file a key written to names; InvalidRequest when the file system cannot hold such a name. */
    private static Inode writableFile(String key) {
        if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw S3Errors.invalidKey(String.valueOf(key), "a key is a file's path: no leading or trailing /");
        }
        for (String c : key.split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..") || c.indexOf('\0') >= 0) {
                throw S3Errors.invalidKey(key, "empty, . and .. are no file names");
            }
        }
        return new Inode(FileType.REGULAR, key);
    }

    /** Makes {@code body} the object {@code key} through the file system, waiting for S3; returns its ETag. */
    private String put(String key, Path body, Map<String, String> metadata) throws FsException {
        try {
            ObjectOwnership o = ObjectOwnership.of(metadata, clock.instant());
            FileAttributes a = fs.put(writableFile(key), body, o.owner(), o.mtime(), o.userMetadata());
            return fileEtag(a);
        } catch (FsException e) {
            throw S3Errors.fromFsWrite(e, key);
        }
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
    public void setBlobAccess(String container, String key, ObjectCannedACL access) {
        refuse("put_object_acl", container);
    }

    /**
     * PUT: the body is received into the spool (its length and Content-MD5 checked), then made the object through
     * the file system, which answers once S3 has it. A zero-length PUT of a key ending in {@code /} (how S3 consoles,
     * s3fs and rclone make a folder) makes the folder.
     */
    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream body) {
        String key = request.key();
        return counted("put", key, 200, () -> {
            requireWritable(request.bucket());
            if (key != null && key.endsWith("/") && key.length() > 1) {
                BodySpool.Received r = spool.receive(body, request.contentLength(), request.contentMD5());
                spool.delete(r.file());
                if (r.size() != 0) {
                    throw S3Errors.invalidKey(key, "a key ending in / is a folder: it holds no bytes");
                }
                makeFolders(key.substring(0, key.length() - 1));
                return PutObjectResponse.builder().eTag(quoted(EMPTY_MD5)).build();
            }
            writableFile(key);
            BodySpool.Received r = spool.receive(body, request.contentLength(), request.contentMD5());
            try {
                String etag = put(key, r.file(), request.metadata());
                metrics.bytesWritten(r.size());
                return PutObjectResponse.builder().eTag(quoted(etag)).build();
            } finally {
                spool.delete(r.file());
            }
        });
    }

    /** Makes folder {@code path} and those above it, as MKDIR does; those that exist are left alone. */
    private void makeFolders(String path) throws FsException {
        writableFile(path);
        Inode dir = Inode.ROOT;
        for (String name : path.split("/")) {
            Inode next = new Inode(FileType.DIRECTORY, dir.child(name));
            try {
                Inode found = fs.lookup(dir, name);
                if (!found.isDirectory()) {
                    throw S3Errors.invalidKey(path + "/", "/" + found.path() + " is a file");
                }
            } catch (FsException e) {
                if (e.error() != FsError.NOENT) {
                    throw S3Errors.fromFsWrite(e, path + "/");
                }
                try {
                    fs.mkdir(dir, name, NewAttributes.NONE, folderOwner);
                } catch (FsException m) {
                    if (m.error() != FsError.EXIST) {
                        throw S3Errors.fromFsWrite(m, path + "/");
                    }
                }
            }
            dir = next;
        }
    }

    /**
     * CopyObject: the source's bytes (exactly one version of it, from the cache or S3, or its staged bytes while
     * it is being written) are read into the spool and put as the destination. With the COPY directive the
     * destination gets the owner and mtime the source shows; with REPLACE, the request's metadata.
     */
    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        String key = request.destinationKey();
        return counted("copy", key, 200, () -> {
            requireWritable(request.destinationBucket());
            requireBucket(request.sourceBucket());
            writableFile(key);
            Inode source = file(request.sourceKey());
            FileAttributes a = attributes(source);
            Preconditions.checkCopySource(a, request.copySourceIfMatch(), request.copySourceIfUnmodifiedSince(),
                    request.copySourceIfNoneMatch(), request.copySourceIfModifiedSince());
            Path copy = spool.newFile();
            try {
                copyInto(source, a, copy);
                Map<String, String> metadata = request.metadataDirective() == MetadataDirective.REPLACE
                        ? request.metadata() : ObjectOwnership.metadataOf(a);
                String etag = put(key, copy, metadata);
                metrics.bytesWritten(a.size());
                return CopyObjectResponse.builder().copyObjectResult(CopyObjectResult.builder().eTag(quoted(etag))
                        .lastModified(clock.instant()).build()).build();
            } finally {
                spool.delete(copy);
            }
        });
    }

    private void copyInto(Inode source, FileAttributes version, Path target) throws FsException {
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE)) {
            for (long at = 0; at < version.size(); ) {
                byte[] chunk = fs.read(source, version, at, (int) Math.min(partSize, version.size() - at)).data();
                if (chunk.length == 0) {
                    throw S3Errors.internal(source.path() + " ended at " + at + " bytes while copied");
                }
                out.write(chunk);
                at += chunk.length;
            }
        } catch (IOException e) {
            throw S3Errors.internal("cannot copy " + source.path() + ": " + e.getMessage());
        }
    }

    /** DeleteObject: removes the file; a key that names no file (a folder, nothing at all) succeeds, as in S3. */
    @Override
    public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
        return counted("delete", request.key(), 204, () -> {
            requireWritable(request.bucket());
            delete(request.key());
            return DeleteObjectResponse.builder().build();
        });
    }

    /** Removes the file {@code key} names, or the empty folder a key ending in {@code /} names; else nothing. */
    private void delete(String key) throws FsException {
        if (key == null || key.isEmpty()) {
            return;
        }
        boolean folder = key.endsWith("/");
        String path = folder ? key.substring(0, key.length() - 1) : key;
        Inode target;
        try {
            target = writableFile(path);
        } catch (S3Exception e) {
            return;   // no file can have that name
        }
        Inode dir = new Inode(FileType.DIRECTORY, target.parentPath());
        try {
            Inode found = fs.lookup(dir, target.name());
            if (found.isDirectory() != folder) {
                return;   // "a" when a is a folder, "a/" when a is a file: no such object
            }
            fs.remove(dir, target.name());
        } catch (FsException e) {
            switch (e.error()) {
                case NOENT, STALE, NOTDIR, NOTEMPTY -> {
                    // gone already, or a folder that still holds keys: its marker is not what lists it
                }
                default -> throw S3Errors.fromFsWrite(e, key);
            }
        }
    }

    /** DeleteObjects: each key as DeleteObject; the batch answers 200 with an error for each key that failed. */
    @Override
    public DeleteObjectsResponse removeBlobs(DeleteObjectsRequest request) {
        return counted("delete_batch", "", 200, () -> {
            requireBucket(request.bucket());
            boolean allowed = fs.writable() && writes.getAsBoolean();
            List<DeletedObject> deleted = new ArrayList<>();
            List<S3Error> errors = new ArrayList<>();
            for (ObjectIdentifier o : request.delete() == null ? List.<ObjectIdentifier>of()
                    : request.delete().objects()) {
                try {
                    if (!allowed) {
                        throw S3Errors.readOnly("the gateway or this client's export rule is read-only");
                    }
                    delete(o.key());
                    deleted.add(DeletedObject.builder().key(o.key()).versionId(o.versionId()).build());
                } catch (S3Exception e) {
                    errors.add(S3Error.builder().key(o.key()).versionId(o.versionId())
                            .code(e.awsErrorDetails().errorCode()).message(e.awsErrorDetails().errorMessage())
                            .build());
                }
            }
            return DeleteObjectsResponse.builder().deleted(deleted).errors(errors).build();
        });
    }

    // ---- multipart uploads

    @Override
    public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
        return counted("create_upload", request.key(), 200, () -> {
            requireWritable(request.bucket());
            writableFile(request.key());
            String id = uploads.initiate(request.key(), request.metadata());
            return new MultipartUpload(id, request);
        });
    }

    @Override
    public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request,
                                                  InputStream body) {
        return counted("upload_part", upload.blobName(), 200, () -> {
            requireWritable(upload.containerName());
            uploads.parts(upload.id(), upload.blobName());   // NoSuchUpload before the body is taken
            BodySpool.Received r = spool.receive(body, request.contentLength(), request.contentMD5());
            try {
                uploads.putPart(upload.id(), upload.blobName(), request.partNumber(), r);
            } catch (RuntimeException e) {
                spool.delete(r.file());
                throw e;
            }
            metrics.bytesWritten(r.size());
            return UploadPartResponse.builder().eTag(quoted(r.md5Hex())).build();
        });
    }

    @Override
    public List<Part> listMultipartUpload(MultipartUpload upload) {
        return counted("list_parts", upload.blobName(), 200, () -> {
            requireBucket(upload.containerName());
            List<Part> parts = new ArrayList<>();
            for (MultipartUploads.StoredPart p : uploads.parts(upload.id(), upload.blobName())) {
                parts.add(Part.builder().partNumber(p.number()).eTag(quoted(p.md5Hex())).size(p.size())
                        .lastModified(p.lastModified()).build());
            }
            return parts;
        });
    }

    @Override
    public List<software.amazon.awssdk.services.s3.model.MultipartUpload> listMultipartUploads(String container) {
        return counted("list_uploads", "", 200, () -> {
            requireBucket(container);
            List<software.amazon.awssdk.services.s3.model.MultipartUpload> all = new ArrayList<>();
            for (MultipartUploads.Info u : uploads.inProgress()) {
                all.add(software.amazon.awssdk.services.s3.model.MultipartUpload.builder().key(u.key())
                        .uploadId(u.id()).initiated(u.initiated()).storageClass(StorageClass.STANDARD).build());
            }
            return all;
        });
    }

    /**
     * CompleteMultipartUpload: the named parts (S3Proxy checked their ETags and sizes against
     * {@link #listMultipartUpload}) are joined in the spool and put as the object, waiting for S3. A completion
     * repeated after success answers the same ETag.
     */
    @Override
    public CompleteMultipartUploadResponse completeMultipartUpload(MultipartUpload upload,
                                                                   CompleteMultipartUploadRequest request) {
        String key = upload.blobName();
        return counted("complete_upload", key, 200, () -> {
            // S3Proxy completes on a thread of its own, off the request's: the client's rule was applied when it
            // initiated the upload and sent its parts
            requireBucket(upload.containerName());
            if (!fs.writable()) {
                throw S3Errors.readOnly("the gateway is read-only");
            }
            String done = uploads.completedEtag(upload.id(), key);
            if (done == null) {
                List<Integer> numbers = request.multipartUpload().parts().stream().map(CompletedPart::partNumber)
                        .toList();
                Path joined = uploads.join(upload.id(), key, numbers);
                try {
                    done = put(key, joined, uploads.metadata(upload.id(), key));
                    uploads.completed(upload.id(), done);
                } catch (RuntimeException | FsException e) {
                    uploads.completionFailed(upload.id());
                    throw e;
                } finally {
                    spool.delete(joined);
                }
            }
            return CompleteMultipartUploadResponse.builder().bucket(bucket).key(key).eTag(quoted(done)).build();
        });
    }

    @Override
    // the operation's result is Void, whose only value is null: NullAway cannot see it (a false positive)
    @SuppressWarnings("NullAway")
    public void abortMultipartUpload(MultipartUpload upload) {
        counted("abort_upload", upload.blobName(), 204, () -> {
            requireBucket(upload.containerName());
            uploads.abort(upload.id(), upload.blobName());
            return null;
        });
    }
}
