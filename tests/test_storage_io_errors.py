"""An I/O error of the storage (EIO from a disk or NFS, a connection reset under s3fs) partway
through an input file stops the run naming the file, in every reader. Before, the readers took it
for damaged input (it is an OSError, as gzip's BadGzipFile is): the rest of the file was
quarantined `corrupt_compression`, `corrupt_parquet`, `corrupt_archive` or `unreadable_file`,
the run went on, and the file's completion record made the loss permanent.

The failing storage is a real fsspec filesystem (`faulty://`, the local disk whose reads fail
with EIO past a given share of a file), registered in this process."""
import errno
import io
import json
import os
import tarfile

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.local import LocalFileSystem

from pipeline.readers import Doc, DocBatch, Quarantined, ReadState, read_source_file
from pipeline.recipe import SourceConfig
from pipeline.storage import InputUnreadable

pytestmark = pytest.mark.filterwarnings("ignore:UPath .faulty. filesystem")


class _FailingReads(io.RawIOBase):
    def __init__(self, f, fail_at: int, error: OSError):
        super().__init__()
        self.f, self.fail_at, self.error = f, fail_at, error

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.f.tell()

    def seek(self, offset, whence=0):
        return self.f.seek(offset, whence)

    def readinto(self, b):
        pos = self.f.tell()
        if pos >= self.fail_at:
            raise self.error
        return self.f.readinto(memoryview(b)[:max(0, min(len(b), self.fail_at - pos))])

    def close(self):
        self.f.close()
        super().close()


class FaultyFS(LocalFileSystem):
    """The local disk, whose reads fail past `fail_share` of a file (with `error`), and whose
    opens fail with `open_error` when it is set."""
    protocol = "faulty"
    fail_share = 0.5
    error = OSError(errno.EIO, "Input/output error")
    open_error: OSError | None = None

    @classmethod
    def _strip_protocol(cls, path):
        return LocalFileSystem._strip_protocol(str(path).removeprefix("faulty://"))

    def _open(self, path, mode="rb", **kwargs):
        if self.open_error is not None:
            raise self.open_error
        return io.BufferedReader(_FailingReads(open(path, "rb"), int(os.path.getsize(path) * self.fail_share),
                                               self.error), 8192)


@pytest.fixture(autouse=True)
def faulty():
    fsspec.register_implementation("faulty", FaultyFS, clobber=True)
    yield FaultyFS
    FaultyFS.fail_share, FaultyFS.open_error = 0.5, None
    FaultyFS.error = OSError(errno.EIO, "Input/output error")


@pytest.fixture(scope="module")
def made(tmp_path_factory, shared_data):
    """Row files and a paper tarball built here; the rest are the shared files as they are."""
    d = tmp_path_factory.mktemp("inputs")
    rows = [{"id": f"r{i}", "text": f"document number {i} " * 40} for i in range(800)]
    table = pa.table({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows]})
    pq.write_table(table, d / "rows.parquet", row_group_size=100)
    with pa.ipc.new_file(d / "rows.arrow", table.schema) as w:
        for b in table.to_batches(max_chunksize=100):
            w.write_batch(b)
    (d / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (d / "rows.json").write_text(json.dumps(rows))
    with tarfile.open(d / "paper.tar.gz", "w:gz") as tar:
        tar.add(shared_data / "sources/papers/sympy-paper", arcname="sympy-paper")
    return d


def _cases(shared, made):
    scrapinghub = sorted((shared / "html/scrapinghub/html").iterdir())[0]
    wikitext = sorted((shared / "sources/wiki/wikitext").glob("*.txt.gz"))[0]
    return {
        "warc": ("warc", shared / "warc/sample_pages.warc.gz", {}),
        "wet": ("wet", shared / "warc/cc_whirlwind.warc.wet.gz", {}),
        "jsonl.gz": ("jsonl", shared / "text/ccnet_cc_en_head-0091.jsonl.gz", {}),
        "jsonl": ("jsonl", made / "rows.jsonl", {}),
        "json": ("json", made / "rows.json", {}),
        "parquet": ("parquet", made / "rows.parquet", {}),
        "arrow": ("arrow", made / "rows.arrow", {}),
        "text": ("text", shared / "text/tinyshakespeare.txt", {}),
        "text lines": ("text", shared / "text/tinyshakespeare.txt", {"documents": "line"}),
        "mediawiki": ("mediawiki", shared / "sources/wiki/enwiki-pages-articles-sample.xml.bz2", {}),
        "wikitext": ("wikitext", wikitext, {}),
        "stackexchange": ("stackexchange", shared / "sources/qa/coffee.stackexchange.com/Posts.xml.gz", {}),
        "gutenberg": ("gutenberg", shared / "sources/books/gutenberg/pg1013.raw.txt.gz", {}),
        "html": ("html", scrapinghub, {}),
        "code": ("code", shared / "sources/code/DaveGamble__cJSON/cJSON.h", {}),
        "code .gz": ("code", shared / "sources/code/DaveGamble__cJSON/cJSON.c.gz", {}),
        "latex": ("latex", made / "paper.tar.gz", {}),
    }


CASES = ["warc", "wet", "jsonl.gz", "jsonl", "json", "parquet", "arrow", "text", "text lines", "mediawiki",
         "wikitext", "stackexchange", "gutenberg", "html", "code", "code .gz", "latex"]


def _read(fmt, path, kw):
    src = SourceConfig(name="s", format=fmt, paths=[path], **kw)
    docs, quarantined = 0, []
    for item in read_source_file(src, path, ReadState()):
        if isinstance(item, Quarantined):
            quarantined.append(item.reason)
        else:
            docs += len(item.ids) if isinstance(item, DocBatch) else isinstance(item, Doc)
    return docs, quarantined


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("share", [0.3, 0.8])
def test_an_io_error_mid_file_stops_the_run(case, share, faulty, shared_data, made):
    fmt, path, kw = _cases(shared_data, made)[case]
    faulty.fail_share = share
    url = f"faulty://{path}"
    with pytest.raises(InputUnreadable, match=r"storage failed while reading it \(OSError: \[Errno 5\]") as e:
        src = SourceConfig(name="s", format=fmt, paths=[url], **kw)
        quarantined = [i.reason for i in read_source_file(src, url, ReadState()) if isinstance(i, Quarantined)]
        assert not quarantined, f"taken for damage: {quarantined}"
    assert url in str(e.value)


@pytest.mark.parametrize("case", CASES)
def test_the_same_storage_reading_whole_files_reads_as_the_disk(case, faulty, shared_data, made):
    """The guard changes nothing when storage works: the same documents as from the local path."""
    fmt, path, kw = _cases(shared_data, made)[case]
    faulty.fail_share = 2.0
    assert _read(fmt, f"faulty://{path}", kw) == _read(fmt, str(path), kw)


def test_a_connection_reset_mid_file_stops_the_run(faulty, made):
    faulty.error = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    with pytest.raises(InputUnreadable, match="ConnectionResetError"):
        _read("parquet", f"faulty://{made / 'rows.parquet'}", {})


def test_an_io_error_opening_the_file_stops_the_run(faulty, made):
    faulty.open_error = OSError(errno.EIO, "Input/output error")
    with pytest.raises(InputUnreadable):
        _read("jsonl", f"faulty://{made / 'rows.jsonl'}", {})


def test_a_file_that_cannot_be_opened_is_still_the_inputs_problem(faulty, made):
    """No permission (or no such file) is about the file, not the storage: quarantined, as before."""
    faulty.open_error = PermissionError(errno.EACCES, "Permission denied")
    assert _read("jsonl", f"faulty://{made / 'rows.jsonl'}", {}) == (0, ["unreadable_file"])


def test_damage_is_still_damage(tmp_path, made):
    """A gzip member cut short (gzip's own OSError, no errno) is quarantined, not a stop."""
    import gzip
    data = gzip.compress((made / "rows.jsonl").read_bytes())
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    docs, quarantined = _read("jsonl", str(tmp_path / "cut.jsonl.gz"), {})
    assert docs > 0 and quarantined == ["corrupt_compression"]
