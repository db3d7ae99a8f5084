"""bench_load's pieces that decide what it measures: the quick input is the first N pages of the
sample WARC (split into the two files both sides read), and the bench gets the time it declares."""
from __future__ import annotations

from bench.__main__ import module_timeout
from bench.bench_e2e import SAMPLE_WARC, split_warc
from bench.corpus_warc import _members


def _responses(folder) -> list[bytes]:
    return [m for f in sorted(folder.glob("*.warc.gz")) for m in _members(f) if b"WARC-Type: response" in m]


def test_split_warc_keeps_the_first_pages(tmp_path):
    split_warc(SAMPLE_WARC, tmp_path / "all", 2)
    split_warc(SAMPLE_WARC, tmp_path / "some", 2, pages=60)
    every, some = _responses(tmp_path / "all"), _responses(tmp_path / "some")
    assert len(every) == 166 and len(some) == 60
    assert len(list((tmp_path / "some").glob("*.warc.gz"))) == 2
    uri = lambda m: m.split(b"WARC-Target-URI: ", 1)[1].split(b"\r\n", 1)[0]   # noqa: E731
    first60 = [uri(m) for m in _members(SAMPLE_WARC) if b"WARC-Type: response" in m][:60]
    assert sorted(uri(m) for m in some) == sorted(first60)


def test_modules_get_the_time_they_declare():
    from bench import bench_load
    assert module_timeout("bench_load", quick=True) == bench_load.TIMEOUT_SECONDS[0] > 300
    assert module_timeout("bench_load", quick=False) == bench_load.TIMEOUT_SECONDS[1] > 900
    assert (module_timeout("bench_tokenize", True), module_timeout("bench_tokenize", False)) == (300, 900)
