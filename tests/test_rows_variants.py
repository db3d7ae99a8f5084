"""Row datasets as they are published beyond plain text columns: chat rows (a list of messages,
`messages.content`; ShareGPT's `conversations.value`) in JSON Lines, Parquet and Arrow; old Feather v1
files; The Stack's rows under `format: code, layout: rows` in Parquet/Arrow shards of any name, and
a shard folder's markers and dataset card."""
import gzip
import json
import shutil
import warnings

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from pipeline.readers import Doc, Quarantined, ReadState, read_source_file
from pipeline.recipe import SourceConfig


def read(path, fmt, paths=None, **kw):
    src = SourceConfig(name="s", format=fmt, paths=[str(p) for p in (paths or [path])], **kw)
    state = ReadState()
    items = list(read_source_file(src, str(path), state))
    return ([i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)],
            state.counters)


CHATS = [
    {"id": "c0", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there"}]},
    {"id": "c1", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"},
                              {"role": "assistant", "content": "4"}]},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# -- 1. chat rows: a dotted path reaches into a list of objects ---------------------------------
@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "arrow"])
def test_messages_content_joins_every_message_as_a_list_of_strings_is_joined(tmp_path, fmt):
    if fmt == "jsonl":
        p = write_jsonl(tmp_path / "chat.jsonl", CHATS)
    elif fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(CHATS), p := tmp_path / "chat.parquet")
    else:
        feather.write_feather(pa.Table.from_pylist(CHATS), p := tmp_path / "chat.arrow")
    docs, q, _ = read(p, fmt, text_field="messages.content", id_field="id")
    assert q == []
    assert [(d.id, d.text) for d in docs] == [("s/c0", "Hi\nHello there"), ("s/c1", "Be brief.\n2+2?\n4")]
    # the contents left the metadata; the roles (who said what) stay, message by message
    assert docs[0].metadata == {"messages": [{"role": "user"}, {"role": "assistant"}]}


def test_messages_content_of_a_parquet_list_of_structs_of_any_list_type(tmp_path):
    message = pa.struct([("role", pa.string()), ("content", pa.large_string())])
    for list_type in (pa.list_(message), pa.large_list(message)):
        t = pa.table({"messages": pa.array([CHATS[0]["messages"]], list_type)})
        pq.write_table(t, p := tmp_path / "chat.parquet")
        docs, q, _ = read(p, "parquet", text_field="messages.content")
        assert [d.text for d in docs] == ["Hi\nHello there"] and q == []
    # a chat column inside a struct column, and a field the messages do not have (one item for the file)
    t = pa.table({"data": [{"messages": CHATS[0]["messages"]}]})
    pq.write_table(t, p := tmp_path / "nested.parquet")
    assert [d.text for d in read(p, "parquet", text_field="data.messages.content")[0]] == ["Hi\nHello there"]
    docs, q, _ = read(p, "parquet", text_field="data.messages.text")
    assert docs == [] and [(x.reason, x.records) for x in q] == [("missing_text", 1)]


def test_sharegpt_conversations_value_and_messages_without_content(tmp_path):
    rows = [{"conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "A."}]},
            # a tool call's message holds no content: left out, counted, the rest read
            {"conversations": [{"from": "human", "value": "Weather?"}, {"from": "gpt", "value": None,
                                                                        "tool_calls": ["get_weather"]},
                               {"from": "tool"}, {"from": "gpt", "value": "Sunny."}]},
            {"conversations": [{"from": "human", "value": None}]},
            {"conversations": []}]
    for fmt, p in (("jsonl", write_jsonl(tmp_path / "sg.jsonl", rows)), ("parquet", tmp_path / "sg.parquet")):
        if fmt == "parquet":
            pq.write_table(pa.Table.from_pylist(rows), p)
        docs, q, counters = read(p, fmt, text_field="conversations.value")
        assert [d.text for d in docs] == ["Q?\nA.", "Weather?\nSunny."]
        assert [x.reason for x in q] == ["empty_document", "empty_document"]
        assert counters["text_list_nulls_left_out"] == 3


def test_a_path_through_lists_in_lists_is_flattened(tmp_path):
    # OpenAI-style content parts: each message's content a list of {type, text}
    row = {"messages": [{"role": "user", "content": [{"type": "text", "text": "Look:"},
                                                     {"type": "text", "text": "a cat"}]},
                        {"role": "assistant", "content": [{"type": "text", "text": "Nice cat."}]}]}
    docs, q, _ = read(write_jsonl(tmp_path / "parts.jsonl", [row]), "jsonl", text_field="messages.content.text")
    assert [d.text for d in docs] == ["Look:\na cat\nNice cat."] and q == []
    assert docs[0].metadata["messages"][0] == {"role": "user", "content": [{"type": "text"}, {"type": "text"}]}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_text_field_naming_the_list_of_messages_says_which_field_to_name(tmp_path, fmt):
    sharegpt = [{"conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "A."}]}]
    if fmt == "jsonl":
        p, s = write_jsonl(tmp_path / "chat.jsonl", CHATS), write_jsonl(tmp_path / "sg.jsonl", sharegpt)
    else:
        pq.write_table(pa.Table.from_pylist(CHATS), p := tmp_path / "chat.parquet")
        pq.write_table(pa.Table.from_pylist(sharegpt), s := tmp_path / "sg.parquet")
    docs, q, _ = read(p, fmt, text_field="messages")
    assert docs == [] and len(q) == 2
    assert "a list of 2 objects (keys 'role', 'content'): name the field inside them, e.g. messages.content" \
        in q[0].detail
    _, q, _ = read(s, fmt, text_field="conversations")
    assert "name the field inside them, e.g. conversations.value" in q[0].detail


def test_a_list_of_strings_with_a_null_is_still_quarantined_saying_where(tmp_path):
    docs, q, _ = read(write_jsonl(tmp_path / "p.jsonl", [{"text": ["a", None]}]), "jsonl")
    assert docs == [] and "a list of 2 holding a non-string (null) at index 1" in q[0].detail


# -- 2. Feather v1 ----------------------------------------------------------------------------
def write_feather_v1(table, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        feather.write_feather(table, path, version=1)
    assert path.read_bytes()[:4] == b"FEA1"
    return path


def test_feather_v1_files_are_read(tmp_path):
    t = pa.table({"text": [f"doc {i}" for i in range(10)], "id": [f"f{i}" for i in range(10)],
                  "lang": ["en"] * 10})
    p = write_feather_v1(t, tmp_path / "old.feather")
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # pyarrow's deprecation of v1 stays inside the reader
        docs, q, counters = read(p, "arrow", id_field="id")
    assert q == [] and counters["feather_v1"] == 1
    assert [(d.id, d.text, d.metadata) for d in docs][:2] == [("s/f0", "doc 0", {"lang": "en"}),
                                                              ("s/f1", "doc 1", {"lang": "en"})]
    assert len(docs) == 10
    # without the text column: one item for its rows; 0 rows: an empty file
    docs, q, _ = read(p, "arrow", text_field="body")
    assert docs == [] and [(x.reason, x.records) for x in q] == [("missing_text", 10)]
    empty = write_feather_v1(pa.table({"text": pa.array([], pa.string())}), tmp_path / "empty.feather")
    docs, q, counters = read(empty, "arrow")
    assert docs == [] and q == [] and counters["skipped_empty_file"] == 1


def test_a_damaged_feather_v1_file_is_corrupt_arrow_saying_so(tmp_path):
    p = write_feather_v1(pa.table({"text": ["a", "b"]}), tmp_path / "old.feather")
    body = p.read_bytes()
    p.write_bytes(body[:len(body) // 2] + body[-8:])
    docs, q, _ = read(p, "arrow")
    assert docs == [] and [x.reason for x in q] == ["corrupt_arrow"] and "Feather v1" in q[0].detail


# -- 3. The Stack's rows under format: code ---------------------------------------------------
STACK = pa.table({"hexsha": ["abc", "def"], "max_stars_repo_path": ["src/a.py", "lib/b.js"],
                  "max_stars_repo_name": ["u/r", "v/s"], "max_stars_repo_licenses": [["MIT"], ["Apache-2.0"]],
                  "content": ["print('hi')\n", "console.log(1)\n"]})
STACK_OPTS = dict(layout="rows", path_field="max_stars_repo_path", repo_field="max_stars_repo_name",
                  license_field="max_stars_repo_licenses")


def stack_shards(d):
    d.mkdir()
    pq.write_table(STACK, d / "train-00000.parquet")
    shutil.copy(d / "train-00000.parquet", d / "train-00001.pq")
    shutil.copy(d / "train-00000.parquet", d / "train-00002")          # no name ending: told by its bytes
    feather.write_feather(STACK, d / "train-00003.arrow")                # the IPC file format
    with pa.ipc.new_stream(d / "train-00004.arrow", STACK.schema) as w:  # datasets' save_to_disk
        w.write_table(STACK)
    write_feather_v1(STACK.drop_columns(["max_stars_repo_licenses"]), d / "train-00005.feather")  # v1: no lists
    rows = STACK.to_pylist()
    (d / "train-00006.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    return sorted(p for p in d.iterdir())


def test_code_rows_reads_parquet_arrow_and_jsonl_shards_whatever_their_name(tmp_path):
    for p in stack_shards(tmp_path / "stack"):
        docs, q, _ = read(p, "code", **STACK_OPTS)
        assert q == [], (p.name, q[:1])
        v1 = p.suffix == ".feather"
        assert [(d.id, d.text, d.metadata["language"], d.metadata["license"]) for d in docs] == [
            ("s/u/r/src/a.py", "print('hi')\n", "Python", None if v1 else ["MIT"]),
            ("s/v/s/lib/b.js", "console.log(1)\n", "JavaScript", None if v1 else ["Apache-2.0"])], p.name


def test_code_rows_directory_skips_markers_and_the_dataset_card_counted(tmp_path):
    d = tmp_path / "stack"
    d.mkdir()
    pq.write_table(STACK, d / "a.parquet")
    pq.write_table(STACK, d / "b.pq")
    (d / "_SUCCESS").write_bytes(b"")
    (d / ".a.parquet.crc").write_bytes(b"\x00crc")
    (d / "README.md").write_text("---\nlicense: other\n---\n# The Stack\n")
    (d / "LICENSE").write_text("terms\n")
    counters, texts = {}, []
    for p in sorted(d.iterdir()):
        docs, q, c = read(p, "code", paths=[d], **STACK_OPTS)
        assert q == [], (p.name, q[:1])
        texts += [x.text for x in docs]
        for k, v in c.items():
            counters[k] = counters.get(k, 0) + v
    assert len(texts) == 4
    assert counters == {"skipped_marker_file": 2, "skipped_not_code_file": 2}
    # a file named on its own is read whatever its name (as the row readers do): a README is no rows
    docs, q, _ = read(d / "README.md", "code", **STACK_OPTS)
    assert docs == [] and q and all(x.reason == "bad_json" for x in q)


def test_code_files_layout_keeps_underscore_and_dot_files(tmp_path):
    # markers are a rows notion: in a checkout `__init__.py` and `.github/` are code
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("x = 1\n")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yml").write_text("on: push\n")
    (tmp_path / "README.md").write_text("# readme\n")
    got = []
    for p in (tmp_path / "pkg" / "__init__.py", tmp_path / ".github" / "ci.yml", tmp_path / "README.md"):
        docs, q, c = read(p, "code", paths=[tmp_path], root=str(tmp_path), repo="o/r")
        got += [d.metadata["path"] for d in docs]
        assert q == [] and not c
    assert got == ["pkg/__init__.py", ".github/ci.yml", "README.md"]
