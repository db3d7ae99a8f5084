"""Rows that hold a page's HTML (Common Crawl-derived datasets ship an `html` column): `html_field`
makes each row a web page, as a WARC record is, so that `extract` reads it; read as `text_field`,
the markup went through `extract` untouched into the output."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.readers import Doc, Quarantined, ReadState, read_source_file
from pipeline.recipe import RecipeError, SourceConfig, load_recipe

PAGE = ("<!DOCTYPE html><html><head><title>T</title></head><body><p>A page with a real paragraph of text."
        "</p></body></html>")
ROWS = [{"url": "https://example.com/a", "html": PAGE, "warc_record_id": "<urn:uuid:1>", "lang": "en"},
        {"url": "https://example.com/b", "html": "", "warc_record_id": "<urn:uuid:2>"}]


def _read(path, **options):
    src = SourceConfig(name="cc", format=options.pop("format", "jsonl"), paths=[str(path)], **options)
    state = ReadState()
    items = list(read_source_file(src, str(path), state))
    return ([i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)],
            state.counters)


@pytest.fixture
def jsonl(tmp_path):
    path = tmp_path / "cc.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def test_html_field_makes_rows_web_pages(jsonl):
    docs, quarantined, _ = _read(jsonl, html_field="html", id_field="warc_record_id")
    assert len(docs) == 1
    d = docs[0]
    assert d.html_str == PAGE and d.text is None
    assert d.url == "https://example.com/a" and d.id == "cc/<urn:uuid:1>"
    assert d.metadata == {"lang": "en"}
    assert [q.reason for q in quarantined] == ["empty_document"]


def test_html_field_in_parquet_text_and_binary_columns(tmp_path):
    """A Parquet `html` column, as a string and as binary (a crawl's raw bytes, decoded as a page is:
    its <meta charset>)."""
    latin = PAGE.replace("<title>T", '<meta charset="iso-8859-1"><title>Café').encode("latin-1")
    pq.write_table(pa.table({"url": ["u1", "u2"], "html": pa.array([PAGE.encode(), latin], pa.binary())}),
                   tmp_path / "b.parquet")
    pq.write_table(pa.table({"url": ["u1"], "html": [PAGE]}), tmp_path / "s.parquet")
    docs, quarantined, _ = _read(tmp_path / "b.parquet", format="parquet", html_field="html")
    assert not quarantined and [d.html_str for d in docs] == [PAGE, latin.decode("latin-1")]
    docs, quarantined, _ = _read(tmp_path / "s.parquet", format="parquet", html_field="html")
    assert not quarantined and docs[0].html_str == PAGE and docs[0].text is None
    _, quarantined, _ = _read(tmp_path / "s.parquet", format="parquet", html_field="page")
    assert [q.reason for q in quarantined] == ["missing_text"] and "'page'" in quarantined[0].detail


def test_a_page_read_as_text_is_counted(jsonl):
    docs, _, counters = _read(jsonl, text_field="html")
    assert docs[0].text == PAGE
    assert counters["text_looks_like_html"] == 1


def test_text_field_and_html_field_together_are_refused(jsonl):
    with pytest.raises(ValueError, match="name one of them"):
        SourceConfig(name="cc", format="jsonl", paths=[str(jsonl)], text_field="text", html_field="html")


def _recipe(tmp_path, jsonl, stages, **options):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"name": "r", "output": str(tmp_path / "run"), "stages": stages,
                                    "sources": [{"name": "cc", "format": "jsonl", "paths": [str(jsonl)], **options}]}))
    return load_recipe(path)


def test_the_recipe_loader_follows_an_html_field_source_as_web_pages(tmp_path, jsonl):
    """`language` before `extract` is refused for rows of pages, as for WARC pages; with extract first
    the recipe loads."""
    with pytest.raises(RecipeError, match="only after `extract`"):
        _recipe(tmp_path, jsonl, [{"stage": "language", "languages": ["en"]}], html_field="html")
    _recipe(tmp_path, jsonl, [{"stage": "extract"}, {"stage": "language", "languages": ["en"]}], html_field="html")
