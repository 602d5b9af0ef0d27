package io.prefetchd.gateway.cache;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * An object version's name in block keys: the first 128 bits of sha256(bucket, key, ETag), each field
 * length-prefixed. A new version of an object has a new ETag and so a new name: its blocks never mix with the old
 * version's.
 */
record ObjectId(long high, long low) {

    static ObjectId of(String bucket, ObjectVersion object) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
        for (String field : new String[] {bucket, object.key(), object.etag()}) {
            byte[] bytes = field.getBytes(UTF_8);
            sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
            sha.update(bytes);
        }
        ByteBuffer digest = ByteBuffer.wrap(sha.digest());
        return new ObjectId(digest.getLong(), digest.getLong());
    }

    BlockKey block(long start, long length) {
        return new BlockKey(high, low, start, (int) length);
    }
}
