package io.prefetchd.gateway.fleet;

import io.prefetchd.planner.report.EpochReport;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import static java.util.Objects.requireNonNull;

/**
 * One member's figures for one completed epoch of one job on one dataset, as it publishes them to the fleet. Kept in
 * the fleet's report map as bytes (version byte {@code 1}, then the fields in order), so members share no classes
 * beyond this one.
 *
 * @param member        the member's fleet address ({@code host:port}), the same across its restarts
 * @param dataset       the dataset's id (every member derives the same id from the same path, format and columns)
 * @param datasetPath   the dataset's path in the export, {@code ""} when unknown
 * @param datasetFormat the dataset's format, {@code ""} when unknown
 * @param finishedAt    when the member completed the epoch's report (ISO-8601)
 * @param samplesRead   sample reads served by this member
 * @param bytesRead     their bytes
 * @param hitBytes      of those, bytes that did not come from this member's S3 GETs during the epoch
 * @param readsWaited   reads that waited (on S3 or on an owner)
 * @param s3Gets        GETs this member sent S3 for the epoch
 * @param s3Bytes       bytes of those GETs
 * @param peerBytes     bytes this member received from owners over the peer data channel while the epoch ran
 */
public record MemberEpoch(String member, String dataset, String datasetPath, String datasetFormat, String job,
                          int epoch, boolean hinted, String finishedAt, long samplesRead, long bytesRead,
                          long hitBytes, long readsWaited, long s3Gets, long s3Bytes, long peerBytes) {
    private static final byte VERSION = 1;

    public MemberEpoch {
        requireNonNull(member, "member is null");
        requireNonNull(dataset, "dataset is null");
        requireNonNull(datasetPath, "datasetPath is null");
        requireNonNull(datasetFormat, "datasetFormat is null");
        requireNonNull(job, "job is null");
        requireNonNull(finishedAt, "finishedAt is null");
    }

    /** A member's figures from its own completed report. */
    static MemberEpoch of(String member, EpochReport r, long peerBytes) {
        long hit = Double.isNaN(r.hitRatio()) ? 0 : Math.round(r.hitRatio() * r.bytesRead());
        return new MemberEpoch(member, r.dataset(), r.datasetPath(), r.datasetFormat(), r.job(), r.epoch(),
                r.hinted(), r.finishedAt(), r.samplesRead(), r.bytesRead(), hit, r.readsWaited(), r.s3Gets(),
                r.s3Bytes(), peerBytes);
    }

    /** The map key: one entry per member, dataset, job and epoch. */
    String key() {
        return member + '/' + dataset + '/' + job + '/' + epoch;
    }

    byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeUTF(member);
            out.writeUTF(dataset);
            out.writeUTF(datasetPath);
            out.writeUTF(datasetFormat);
            out.writeUTF(job);
            out.writeInt(epoch);
            out.writeBoolean(hinted);
            out.writeUTF(finishedAt);
            for (long v : new long[] {samplesRead, bytesRead, hitBytes, readsWaited, s3Gets, s3Bytes, peerBytes}) {
                out.writeLong(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException for bytes of another version or malformed ones */
    static MemberEpoch fromBytes(byte[] b) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("epoch figures of version " + version + ", this member reads "
                        + VERSION);
            }
            return new MemberEpoch(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(),
                    in.readInt(), in.readBoolean(), in.readUTF(), in.readLong(), in.readLong(), in.readLong(),
                    in.readLong(), in.readLong(), in.readLong(), in.readLong());
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed epoch figures: " + e, e);
        }
    }
}
