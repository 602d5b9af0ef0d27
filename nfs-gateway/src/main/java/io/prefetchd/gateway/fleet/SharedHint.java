package io.prefetchd.gateway.fleet;

import io.prefetchd.planner.EpochOrder;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One rank's epoch order as the fleet shares it: enough for any member to index the dataset itself (its path in
 * the export, its format, its columns) and hand the order to its own planner. Stored in the fleet's hint map as
 * bytes (version byte {@code 1}, then the fields in order, the order as int32s), so members need no shared classes
 * beyond this one.
 *
 * @param origin the id of the member whose hint API accepted the order (its own planner has it already)
 * @param kind the format as users name it ({@code webdataset}, {@code imagefolder}, ...)
 * @param ended whether the job has finished reading the epoch
 */
record SharedHint(String origin, String datasetId, String exportPath, String kind, List<String> columns, String job, int rank,
                  int worldSize, int epoch, int[] order, boolean ended) {
    private static final byte VERSION = 1;

    SharedHint {
        requireNonNull(origin, "origin is null");
        requireNonNull(datasetId, "datasetId is null");
        requireNonNull(exportPath, "exportPath is null");
        requireNonNull(kind, "kind is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        requireNonNull(job, "job is null");
        requireNonNull(order, "order is null");
    }

    /** The map key: one entry per dataset, job and rank (a new epoch replaces the last). */
    String key() {
        return datasetId + '/' + job + '/' + rank;
    }

    EpochOrder epochOrder() {
        return EpochOrder.of(epoch, order);
    }

    byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 4 * order.length);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeUTF(origin);
            out.writeUTF(datasetId);
            out.writeUTF(exportPath);
            out.writeUTF(kind);
            out.writeInt(columns.size());
            for (String c : columns) {
                out.writeUTF(c);
            }
            out.writeUTF(job);
            out.writeInt(rank);
            out.writeInt(worldSize);
            out.writeInt(epoch);
            out.writeBoolean(ended);
            out.writeInt(order.length);
            for (int v : order) {
                out.writeInt(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException for bytes of another version or malformed ones */
    static SharedHint fromBytes(byte[] b) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("shared hint of version " + version + ", this member reads "
                        + VERSION);
            }
            String origin = in.readUTF();
            String id = in.readUTF();
            String path = in.readUTF();
            String kind = in.readUTF();
            int nColumns = in.readInt();
            if (nColumns < 0 || nColumns > b.length) {
                throw new IllegalArgumentException("shared hint with " + nColumns + " columns");
            }
            List<String> columns = new ArrayList<>(nColumns);
            for (int i = 0; i < nColumns; i++) {
                columns.add(in.readUTF());
            }
            String job = in.readUTF();
            int rank = in.readInt();
            int world = in.readInt();
            int epoch = in.readInt();
            boolean ended = in.readBoolean();
            int n = in.readInt();
            if (n < 0 || n > b.length / 4) {
                throw new IllegalArgumentException("shared hint with an order of " + n + " samples in " + b.length
                        + " bytes");
            }
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = in.readInt();
            }
            return new SharedHint(origin, id, path, kind, columns, job, rank, world, epoch, order, ended);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed shared hint: " + e, e);
        }
    }
}
