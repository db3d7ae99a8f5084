"""Columnar row files: Parquet and Arrow IPC, one document per row, read a batch at a time.

Split from `rows` (JSON Lines, JSON, text), whose row handling they share (`_row_doc`: dotted
field paths, ids, metadata): here what is columnar - row groups and record batches streamed so
that memory holds one batch, damage located by the file's own footer (a damaged row group or
batch costs its rows, counted; the rest is read), a text column stored as binary decoded as
text files are, and a file without the text column one item standing for all its rows.
Arrow IPC is Hugging Face `datasets`' save_to_disk layout (`data-00000-of-00001.arrow`, the
stream format) and the IPC file format (Feather v2); old Feather v1 files (`FEA1`, pandas before
1.1, feather-format) are read whole (they have no batches to stream).

A dotted `text_field` reaches into struct columns and into lists of structs (`messages.content`
of a `list<struct<role, content>>` chat column): the file has the column when its schema has the
path (`_has_column`); each row's value is then taken as in JSON Lines (`rows._row_doc`), the row
being converted for its metadata anyway, so that both formats read a chat row alike.
"""
from __future__ import annotations

import io
from typing import Iterator

from pipeline.readers.base import Doc, Quarantined, ReadState
from pipeline.readers.decode import decode_html_utf8
from pipeline.readers.decode_files import decode_text_bytes
from pipeline.readers.guarded import local_path, open_input
from pipeline.readers.rows import SAMPLE, _RowReader, _get, _row_doc, _row_id, _with, field_path


class ParquetReader(_RowReader):
    """Parquet files: one document per row."""
    name = "parquet"
    data_suffixes = (".parquet", ".pq")

    def read(self, path, src, state):
        return _read_parquet(self, src, path, state)


class ArrowReader(_RowReader):
    """Arrow IPC files: Hugging Face `datasets`' save_to_disk shards (`data-00000-of-00001.arrow`,
    the stream format) and the IPC file format (Feather v2), one document per row, read one record
    batch at a time (memory: a batch), each row as a Parquet row is. Feather v1 files (`FEA1`:
    pandas before 1.1) are read whole, memory-mapped where local (`_read_feather_v1`)."""
    name = "arrow"
    data_suffixes = (".arrow", ".arrows", ".feather", ".ipc")

    def read(self, path, src, state):
        return _read_arrow(self, src, path, state)


# -- Parquet ----------------------------------------------------------------------------------
def _read_parquet(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    """Row group by row group, each streamed in batches (memory: a batch, not a decoded group):
    where a group turns out damaged (pages that do not decompress or decode), its rows not yet
    read are quarantined with their count (`records`) and the groups after it are still read.
    Without its footer (a truncated file) nothing can be located: one item for the file. A file
    without the text column is one item standing for all its rows; one of 0 rows (an empty
    shard a writer left) is ordinary: `skipped_empty_file`."""
    import pyarrow.parquet as pq
    n = 0
    try:
        with open_input(path) as f:
            try:
                pf = pq.ParquetFile(f)
            except Exception:  # noqa: BLE001 - no footer at the end: bytes after a whole file?
                end = _parquet_end(f)
                if end is None:
                    raise
                pf = pq.ParquetFile(_Window(f, 0, end))
                state.count("junk_after_parquet_footer")
            rows = pf.metadata.num_rows
            if rows == 0:
                state.count("skipped_empty_file")
                return
            if not _has_column(pf.schema_arrow, opts.content_field):
                yield _no_text_column(opts, path, pf.schema_arrow, rows)
                return
            for g in range(pf.num_row_groups):
                group = pf.metadata.row_group(g)
                end = n + group.num_rows
                batches = pf.iter_batches(batch_size=_batch_rows_for(group), row_groups=[g])
                while True:
                    try:
                        batch = next(batches)
                    except StopIteration:
                        break
                    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for damaged pages
                        yield Quarantined("corrupt_parquet", f"{path}: row group {g} ({end - n} rows from row {n}): "
                                          f"{type(e).__name__}: {' '.join(str(e).split())}", n, path,
                                          records=end - n)
                        break
                    yield from _batch_rows(opts, src, path, batch, n, state, "corrupt_parquet")
                    n += batch.num_rows
                n = end
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for damaged files
        yield Quarantined("corrupt_parquet", f"{path}: after row {n}: {type(e).__name__}: "
                          f"{' '.join(str(e).split())}{_format_hint(path, 'parquet')}", n, path)


JUNK_SCAN = 1 << 20          # bytes at a columnar file's end searched for the footer bytes after it hide


class _Window(io.RawIOBase):
    """Bytes [start, end) of a seekable file, as a file of their own (pyarrow reads a file's
    footer from what seeking to its end says)."""

    def __init__(self, f, start: int, end: int):
        self.f, self.start, self.end, self.pos = f, start, end, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.pos + offset if whence == 1 else self.end - self.start + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, b) -> int:
        n = max(0, min(len(b), self.end - self.start - self.pos))
        self.f.seek(self.start + self.pos)
        data = self.f.read(n)
        b[:len(data)] = data
        self.pos += len(data)
        return len(data)


def _parquet_end(f) -> int | None:
    """Where a Parquet file ends when bytes follow its footer (zero padding, a download's junk):
    the last `PAR1` in the file's last JUNK_SCAN bytes whose footer length fits; None if none."""
    size = f.seek(0, 2)
    start = max(4, size - JUNK_SCAN)
    f.seek(start)
    tail = f.read(size - start)
    i = len(tail)
    while (i := tail.rfind(b"PAR1", 0, i)) >= 4:
        footer = int.from_bytes(tail[i - 4:i], "little")
        if 0 < footer <= start + i - 8:
            return start + i + 4
    return None


BATCH_ROWS = 4096
BATCH_BYTES = 64 << 20


def _batch_rows_for(group) -> int:
    """Rows a batch of this row group holds: BATCH_ROWS, fewer where rows are large (books,
    whole repositories): a 450 MB group of 300 KB texts read 4,096 rows at a time peaked at 1.9
    GB, 240 at a time at 1.1 GB (the group's decoded pages are the rest)."""
    per_row = group.total_byte_size / max(1, group.num_rows)
    return int(max(16, min(BATCH_ROWS, BATCH_BYTES // max(1.0, per_row))))


def columnar_format(head: bytes) -> str | None:
    """The columnar row format a file's first bytes name: "parquet" (`PAR1`), "arrow" (the IPC file
    format's `ARROW1`, the stream format's continuation marker, Feather v1's `FEA1`), else None."""
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:6] == b"ARROW1" or head[:4] in (b"\xff\xff\xff\xff", b"FEA1"):
        return "arrow"
    return None


def sniff_columnar(path: str) -> str | None:
    """`columnar_format` of a file's first bytes; None when it cannot be read (its reader says why)."""
    try:
        with open_input(path) as f:
            return columnar_format(f.read(8))
    except Exception:  # noqa: BLE001 - the reader's own error says enough
        return None


def _format_hint(path: str, fmt: str) -> str:
    """For a file that does not open in `fmt`: what its first bytes say it is, if another row format."""
    found = sniff_columnar(path)
    return f" (the file starts as {found} does: use format: {found})" if found and found != fmt else ""


def _has_column(schema, name: str) -> bool:
    """Whether a table of `schema` has the field `name`: a column, or a dotted path into struct
    columns (as field_path finds it in the rows)."""
    return _has_field([schema.field(i) for i in range(len(schema.names))], name)


def _has_field(fields, name: str) -> bool:
    by_name = {f.name: f for f in fields}
    if name in by_name:
        return True
    at = name.find(".")
    while at > 0:
        f = by_name.get(name[:at])
        inner = _struct_in(f.type) if f is not None else None
        if inner is not None and _has_field([inner.field(i) for i in range(inner.num_fields)], name[at + 1:]):
            return True
        at = name.find(".", at + 1)
    return False


def _struct_in(t):
    """The struct type a path goes on into: `t` itself, or the items' of a list of them (list,
    large_list, fixed_size_list, list views; lists of lists too), else None."""
    import pyarrow as pa
    while pa.types.is_dictionary(t) or _is_list(t):
        t = t.value_type
    return t if pa.types.is_struct(t) else None


def _is_list(t) -> bool:
    import pyarrow as pa
    return (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
            or pa.types.is_list_view(t) or pa.types.is_large_list_view(t))


def _no_text_column(opts, path: str, schema, rows: int) -> Quarantined:
    """One item for a file without the text column, standing for all its rows."""
    names = schema.names
    shown = ", ".join(names[:30]) + (f", ... ({len(names)} columns)" if len(names) > 30 else "")
    return Quarantined("missing_text", f"{path}: no column {opts.content_field!r}, its {rows:,} rows lost; "
                       f"its columns: {shown}", 0, path, records=rows)


def _batch_rows(opts, src, path: str, batch, n: int, state: ReadState, corrupt: str
                ) -> Iterator[Doc | Quarantined]:
    """An Arrow record batch's rows (Parquet, Arrow IPC) as documents, the first being row `n`."""
    for row in _pylist(batch):
        if isinstance(row, Exception):    # a value that does not decode (bytes flipped)
            yield Quarantined(corrupt, f"{path}: row {n}: {type(row).__name__}: "
                              f"{' '.join(str(row).split())}", n, path)
        elif isinstance(raw := _get(row, keys := field_path(row, opts.content_field)), bytes):
            yield from _binary_text_row(opts, src, row, keys, raw, f"{path}#{n}", n, state)
        else:
            yield from _row_doc(opts, src, row, f"{path}#{n}", n, state=state)
        n += 1


# -- Arrow IPC --------------------------------------------------------------------------------
def _read_arrow(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    """An Arrow IPC file, record batch by record batch (memory: one batch). The file format
    (`ARROW1`, Feather v2) has a footer locating each batch: a damaged batch is quarantined and
    the next one read. The stream format (`datasets`' save_to_disk) is read in order: damage
    quarantines the rest of the file. A file without the text column is one item standing for its
    rows (counted by reading the batches); a file of 0 rows is `skipped_empty_file`. A Feather v1
    file (`FEA1`) is `_read_feather_v1`'s."""
    import pyarrow as pa
    n = 0
    try:
        with open_input(path) as f:
            head = f.read(6)
            if head[:4] == b"FEA1":
                yield from _read_feather_v1(opts, src, path, f, state)
                return
            is_file = head == b"ARROW1"
            f.seek(0)
            reader = None
            if is_file:
                try:
                    reader = pa.ipc.open_file(f)
                except Exception:  # noqa: BLE001 - no footer at the end: bytes after a whole file?
                    # The file format is the stream format between its magic and its footer: read
                    # the batches in order, as a stream's, to its end-of-stream marker.
                    f.seek(0, 2)
                    is_file = False
                    reader = pa.ipc.open_stream(_Window(f, 8, f.tell()))
                    state.count("arrow_file_read_as_stream")
            if is_file:
                count = reader.num_record_batches

                def batches():
                    for i in range(count):
                        try:
                            yield i, reader.get_batch(i)
                        except Exception as e:  # noqa: BLE001 - pyarrow raises several types for damage
                            yield i, e
            else:
                stream = reader = reader or pa.ipc.open_stream(f)
                plain = head != b"ARROW1"          # read from `f` itself (not a file format's window)

                def batches():
                    nonlocal stream
                    i = 0
                    while True:
                        try:
                            batch = stream.read_next_batch()
                        except StopIteration:
                            # After the end-of-stream marker: another stream (shards joined with
                            # `cat`), read on; other bytes are counted, never silently ignored.
                            if not plain or (stream := _next_stream(f, state)) is None:
                                return
                            continue
                        except Exception as e:  # noqa: BLE001
                            yield i, e
                            return
                        yield i, batch
                        i += 1
            if not _has_column(reader.schema, opts.content_field):
                rows = 0
                for _, batch in batches():
                    if isinstance(batch, Exception):
                        break
                    rows += batch.num_rows
                if rows:
                    yield _no_text_column(opts, path, reader.schema, rows)
                else:
                    state.count("skipped_empty_file")
                return
            for i, batch in batches():
                if isinstance(batch, Exception):
                    rest = "" if is_file else ", the rest of the file lost"
                    yield Quarantined("corrupt_arrow", f"{path}: record batch {i} (from row {n}){rest}: "
                                      f"{type(batch).__name__}: {' '.join(str(batch).split())}", n, path)
                    continue
                yield from _batch_rows(opts, src, path, batch, n, state, "corrupt_arrow")
                n += batch.num_rows
            if n == 0:
                state.count("skipped_empty_file")
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for damaged files
        yield Quarantined("corrupt_arrow", f"{path}: after row {n}: {type(e).__name__}: "
                          f"{' '.join(str(e).split())}{_format_hint(path, 'arrow')}", n, path)


def _next_stream(f, state: ReadState):
    """The Arrow IPC stream that follows the one just read in `f`, or None: at the file's end, or
    where other bytes follow (counted `junk_after_arrow_stream`)."""
    import pyarrow as pa
    pos = f.tell()
    size = f.seek(0, 2)
    if pos >= size:
        return None
    f.seek(pos)
    head = f.read(8)
    if head[:4] == b"\xff\xff\xff\xff" and head[4:] != b"\0\0\0\0":
        f.seek(pos)
        try:
            nxt = pa.ipc.open_stream(f)
        except Exception:  # noqa: BLE001 - no schema there: junk after all
            pass
        else:
            state.count("arrow_streams_joined")
            return nxt
    state.count("junk_after_arrow_stream")
    return None


def _read_feather_v1(opts, src, path: str, f, state: ReadState) -> Iterator[Doc | Quarantined]:
    """A Feather v1 file (`FEA1`: pandas' to_feather before 1.1, the feather-format package),
    counted `feather_v1`. Its columns are laid out whole with the schema in a footer, no record
    batches: it cannot be streamed, so it is read as one table (pyarrow.feather.read_table).
    Memory: a local file is memory-mapped (v1 has no compression: the columns are views of the
    mapping, pages the OS reads and drops; a batch's rows as Python objects on top, as for any
    Arrow file); a file on a store is read into memory whole (the file's size). Its rows are then
    read in batches as an IPC file's. Damage quarantines the file (`corrupt_arrow`)."""
    import warnings

    import pyarrow.feather as feather
    state.count("feather_v1")
    local = local_path(path)
    try:
        with warnings.catch_warnings():    # pyarrow deprecates v1 (it still reads it): the count says it
            warnings.simplefilter("ignore", DeprecationWarning)
            if local is not None:
                table = feather.read_table(local, memory_map=True)
            else:
                f.seek(0)
                table = feather.read_table(f)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for damaged files
        yield Quarantined("corrupt_arrow", f"{path}: a Feather v1 file (pandas before 1.1) that does not read: "
                          f"{type(e).__name__}: {' '.join(str(e).split())}", 0, path)
        return
    if not _has_column(table.schema, opts.content_field):
        if table.num_rows:
            yield _no_text_column(opts, path, table.schema, table.num_rows)
        else:
            state.count("skipped_empty_file")
        return
    if table.num_rows == 0:
        state.count("skipped_empty_file")
        return
    per_row = table.nbytes / table.num_rows
    rows = int(max(16, min(BATCH_ROWS, BATCH_BYTES // max(1.0, per_row))))
    n = 0
    for batch in table.to_batches(max_chunksize=rows):
        yield from _batch_rows(opts, src, path, batch, n, state, "corrupt_arrow")
        n += batch.num_rows


def _binary_text_row(opts, src, row: dict, keys: tuple[str, ...], raw: bytes, fallback_id: str, offset: int,
                     state: ReadState) -> Iterator[Doc | Quarantined]:
    """A row whose text column is binary (Parquet written without the UTF-8 annotation: Hive,
    Impala, some Spark jobs): read as a text file is (`decode_text_bytes`, counted as there), or
    with `html_field` as a page is (`decode_html_utf8`: a crawl's raw bytes); bytes no charset
    reads are quarantined."""
    state.count("binary_text_column")
    if opts.html_field:             # a page's bytes: its own <meta charset>, as a WARC record's (decode.py)
        page, charset, lossy = decode_html_utf8(raw)
        text, kind = (None if page is None else page.decode("utf-8")), ("html_lossy" if lossy else None)
    else:
        text, charset, kind = decode_text_bytes(raw)
    if text is None:
        rid = _row_id(opts, _get(row, field_path(row, opts.id_field)) if opts.id_field else None,
                      fallback_id, state)
        yield Quarantined("bad_encoding", f"{fallback_id}: binary text column, {charset}", offset, rid, len(raw),
                          raw[:SAMPLE])
        return
    if kind:
        state.count(f"text_{kind}")
        row = {**row, "charset": charset}
    yield from _row_doc(opts, src, _with(row, keys, text), fallback_id, offset, state=state)


def _pylist(batch) -> list:
    """The batch's rows as dicts; if one does not convert (invalid UTF-8 in a string column), row
    by row, with the exception in place of each bad row."""
    try:
        return batch.to_pylist()
    except Exception:  # noqa: BLE001 - UnicodeDecodeError, ArrowInvalid, ...
        out = []
        for i in range(batch.num_rows):
            try:
                out.append(batch.slice(i, 1).to_pylist()[0])
            except Exception as e:  # noqa: BLE001
                out.append(e)
        return out
