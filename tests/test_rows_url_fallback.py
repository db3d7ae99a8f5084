"""The default url_field (`url`) falls back to `metadata.url` (datatrove's and Dolma's rows: the
bundled recipe's CCNet `cc` source), so url_filter judges those documents; a url_field the recipe
names is read alone, as before."""
import gzip
import json
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.documents import documents_table
from pipeline.readers import Doc, Quarantined, ReadState, expand_paths, read_source_file
from pipeline.recipe import SourceConfig, load_recipe
from stages.url_filter import URLFilter


def read(path, fmt, src=None, **kw):
    src = src or SourceConfig(name="s", format=fmt, paths=[str(path)], **kw)
    state = ReadState()
    items = [i for p in expand_paths(str(path)) for i in read_source_file(src, p, state)]
    assert not [i for i in items if isinstance(i, Quarantined)]
    return [i for i in items if isinstance(i, Doc)], state.counters


def lines(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


CCNET = {"id": "http://100kinvesting.com/2016/11/28/first-teleconference/", "text": "page one",
         "metadata": {"url": "http://100kinvesting.com/2016/11/28/first-teleconference/", "language": "en",
                      "perplexity": 304.6}}
DATATROVE = {"text": "page two", "id": "CC/1", "metadata": {"url": "https://casino-1.com/x"}}


def test_default_url_field_takes_metadata_url(tmp_path):
    p = tmp_path / "cc.jsonl.gz"
    no_url = {"text": "no url at all", "id": "x", "metadata": {"a": 1}}
    p.write_bytes(gzip.compress(lines([CCNET, DATATROVE, no_url]).encode()))
    docs, counters = read(p, "jsonl", id_field="id")
    assert [d.url for d in docs] == [CCNET["id"], "https://casino-1.com/x", None]
    # moved out of the metadata, as `url_field: metadata.url` moves it; the rest stays
    assert docs[0].metadata == {"metadata": {"language": "en", "perplexity": 304.6}}
    assert docs[1].metadata == {} and docs[2].metadata == {"metadata": {"a": 1}}
    assert counters == {}                          # the default's absence is ordinary: nothing counted
    # the same as naming the nested field
    named, _ = read(p, "jsonl", id_field="id", url_field="metadata.url")
    assert [(d.url, d.metadata) for d in named[:2]] == [(d.url, d.metadata) for d in docs[:2]]


def test_top_level_url_wins_and_null_url_falls_back(tmp_path):
    p = tmp_path / "rows.jsonl"
    p.write_text(lines([
        {"text": "a", "url": "https://top.org/", "metadata": {"url": "https://nested.org/"}},
        {"text": "b", "url": None, "metadata": {"url": "https://nested.org/b", "k": 1}},
        {"text": "c", "metadata": {"url": 12345}},                     # not a string: left as it is
        {"text": "d", "metadata": "https://not-an-object.org/"},
    ]))
    docs, counters = read(p, "jsonl")
    assert [d.url for d in docs] == ["https://top.org/", "https://nested.org/b", None, None]
    assert docs[0].metadata == {"metadata": {"url": "https://nested.org/"}}
    assert docs[1].metadata == {"metadata": {"k": 1}}                 # the null `url` leaves too
    assert docs[2].metadata == {"metadata": {"url": 12345}}
    assert docs[3].metadata == {"metadata": "https://not-an-object.org/"}
    assert "url_not_a_string" not in counters and "url_field_missing" not in counters


def test_named_url_field_keeps_todays_behaviour(tmp_path):
    p = tmp_path / "rows.jsonl"
    p.write_text(lines([DATATROVE, DATATROVE]))
    docs, counters = read(p, "jsonl", url_field="url")            # named: no fallback, counted missing
    assert [d.url for d in docs] == [None, None] and counters["url_field_missing"] == 2
    assert docs[0].metadata == {"id": "CC/1", "metadata": {"url": "https://casino-1.com/x"}}
    docs, counters = read(p, "jsonl", url_field="link")
    assert [d.url for d in docs] == [None, None] and counters["url_field_missing"] == 2
    docs, _ = read(p, "jsonl", url_field=None)                    # no url at all
    assert [d.url for d in docs] == [None, None]


def test_fallback_in_parquet_struct_columns_and_json_documents(tmp_path):
    pq.write_table(pa.table({"text": ["a", "b"], "metadata": [{"url": "https://x.org/1", "dump": "CC"},
                                                              {"url": None, "dump": "CC"}]}), tmp_path / "d.parquet")
    docs, _ = read(tmp_path / "d.parquet", "parquet")
    assert [d.url for d in docs] == ["https://x.org/1", None]
    (tmp_path / "d.json").write_text(json.dumps([DATATROVE]))
    docs, _ = read(tmp_path / "d.json", "json")
    assert [d.url for d in docs] == ["https://casino-1.com/x"]


def test_recipe_source_without_url_field_falls_back_and_url_filter_judges(tmp_path):
    data = tmp_path / "dt.jsonl"
    data.write_text(lines([DATATROVE, {"text": "fine", "id": "CC/2", "metadata": {"url": "https://rivers.org/"}},
                           {"text": "none", "id": "CC/3"}]))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: t
        output: {tmp_path / 'run'}
        sources:
          - {{name: dt, format: jsonl, paths: [{data}], id_field: id}}
          - {{name: flat, format: jsonl, paths: [{data}], id_field: id, url_field: url}}
        stages:
          - stage: url_filter
            banned_substrings: [casino]
        """))
    r = load_recipe(recipe)
    docs, _ = read(data, "jsonl", src=r.sources[0])
    assert [d.url for d in docs] == ["https://casino-1.com/x", "https://rivers.org/", None]
    table = documents_table([{"id": d.id, "source": "dt", "url": d.url, "text": d.text} for d in docs])
    res = URLFilter(banned_substrings=["casino"])(table)
    assert res.removed.column("url").to_pylist() == ["https://casino-1.com/x"]
    assert res.counters["no_url"] == 1
    docs, counters = read(data, "jsonl", src=r.sources[1])         # named `url`: read alone
    assert [d.url for d in docs] == [None, None, None] and counters["url_field_missing"] == 3
