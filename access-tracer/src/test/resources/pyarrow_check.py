# Reads traces written by PyarrowReadsTraceIT the way docs/TRACES.md tells users to, and prints what it found.
# argv: complete-file cut-file
import sys

import duckdb
import pyarrow as pa
import pyarrow.ipc


def read_trace(path):
    """A complete file through its footer; a file without one (crash, still open) up to its last whole batch."""
    try:
        return pa.ipc.open_file(path).read_all()
    except pa.ArrowInvalid:
        with open(path, "rb") as f:
            f.seek(8)  # "ARROW1" + 2 bytes of padding; the IPC stream follows
            reader = pa.ipc.open_stream(f)
            batches = []
            try:
                for batch in reader:
                    batches.append(batch)
            except (pa.ArrowInvalid, OSError):
                pass  # the cut
            return pa.Table.from_batches(batches, schema=reader.schema)


complete, cut = sys.argv[1], sys.argv[2]
t = pa.ipc.open_file(complete).read_all()
print("rows", t.num_rows)
print("schema", ",".join(f"{f.name}:{f.type}" for f in t.schema))
print("metadata", t.schema.metadata[b"prefetchd.dataset"].decode(), t.schema.metadata[b"prefetchd.epoch"].decode())
df = t.to_pandas()
print("first", df["time"].iloc[0].isoformat(), df["object_key"].iloc[0], int(df["byte_offset"].iloc[0]),
      int(df["byte_length"].iloc[0]), df["outcome"].iloc[0], df["dataset"].iloc[0], int(df["epoch"].iloc[0]))
print("outcomes", ",".join(f"{k}={v}" for k, v in sorted(df["outcome"].astype(str).value_counts().items())))
print("cut_rows", read_trace(cut).num_rows)
rows = duckdb.sql("SELECT outcome, count(*) AS reads, sum(byte_length) AS bytes FROM t "
                  "GROUP BY outcome ORDER BY outcome").fetchall()
print("duckdb", ",".join(f"{o}={n}/{b}" for o, n, b in rows))
