"""A JSON object that wraps its rows (`{"version": "1.1", "data": [...]}`: SQuAD-style releases,
Hugging Face and Kaggle exports), read with `records_field`: the array is read a row at a time as a
top-level array is, damage costing the rows it touches. Each input is built here, at test time."""
import json
import tracemalloc

import pytest

from pipeline.readers import ReadState
from pipeline.readers.base import Doc
from pipeline.recipe import SourceConfig
from tests.test_rows_layouts import read

ROWS = [{"id": i, "text": f"row {i}: " + "some words of a question and its answer " * (1 + i % 3)} for i in range(40)]


def wrapper(rows=ROWS, indent=None, after=True) -> str:
    doc = {"version": "1.1", "meta": {"source": "x", "rows": [1, 2]}, "data": rows}
    if after:
        doc["split"], doc["count"], doc["note"] = "train", len(rows), {"a": [1, {"b": "]}"}]}
    return json.dumps(doc, indent=indent, ensure_ascii=False)


def texts(docs):
    return [d.text for d in docs]


@pytest.mark.parametrize("indent", [None, 2])
def test_a_wrapper_is_read_as_the_rows_it_holds(tmp_path, indent):
    p = tmp_path / "w.json"
    p.write_text(wrapper(indent=indent))
    docs, q, _ = read(p, "json", records_field="data", id_field="id")
    assert texts(docs) == [r["text"] for r in ROWS] and not q
    assert [d.id for d in docs] == [f"s/{r['id']}" for r in ROWS]


@pytest.mark.parametrize("indent", [None, 2])
def test_a_broken_row_in_a_wrapper_costs_that_row_only(tmp_path, indent):
    text = wrapper(indent=indent)
    at = text.index('"row 17:')
    text = text[:at] + text[at + 1:]            # the row's text loses its opening quote
    p = tmp_path / "w.json"
    p.write_text(text)
    docs, q, _ = read(p, "json", records_field="data")
    assert texts(docs) == [r["text"] for r in ROWS if r["id"] != 17]
    assert [i.reason for i in q] == ["bad_json"] and q[0].records == 1


def test_a_wrapper_cut_short_keeps_its_rows_before_the_cut(tmp_path):
    text = wrapper(indent=2)
    p = tmp_path / "w.json"
    p.write_text(text[:text.index('"row 30:') + 20])
    docs, q, _ = read(p, "json", records_field="data")
    assert texts(docs) == [r["text"] for r in ROWS[:30]]
    assert [i.reason for i in q] == ["truncated_json"] and "cut short" in q[0].detail
    # cut in the keys after the rows: every row kept
    p.write_text(text[:text.index('"note"') + 10])
    docs, q, _ = read(p, "json", records_field="data")
    assert texts(docs) == [r["text"] for r in ROWS] and [i.reason for i in q] == ["truncated_json"]


@pytest.mark.parametrize("indent", [None, 1])
def test_a_wrapper_of_many_rows_is_not_held_whole(tmp_path, indent):
    """20k rows of 1.3 KB: parsed whole, the wrapper took several times the file's size (the text,
    then every row's objects); read a row at a time, a piece of text and a row. One line
    (json.dump's, SQuAD's) included: telling it is not JSON Lines read that line whole. (20k long
    rows rather than 200k short ones: the same 26 MB, without the per-row tracemalloc bookkeeping
    that made this the suite's slowest file.)"""
    p = tmp_path / "big.json"
    p.write_text(json.dumps({"version": 1, "data": [{"id": i, "text": f"row {i} " + "w" * 1300}
                                                    for i in range(20_000)]}, indent=indent))
    size = p.stat().st_size
    src = SourceConfig(name="s", format="json", paths=[str(p)], records_field="data")
    n = 0
    tracemalloc.start()
    try:
        for item in src.reader.read(str(p), src, ReadState()):     # not the run's id table
            assert isinstance(item, Doc), item
            n += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n == 20_000
    assert size > 20 << 20 and peak < size // 4, (peak, size)


def test_wrappers_the_reader_cannot_stream_are_read_as_before(tmp_path):
    p = tmp_path / "w.json"
    # a dotted path into a nested object; a key holding the dot
    p.write_text(json.dumps({"v": 1, "payload": {"n": 2, "rows": ROWS[:3]}, "x": 0}))
    assert texts(read(p, "json", records_field="payload.rows")[0]) == [r["text"] for r in ROWS[:3]]
    p.write_text(json.dumps({"v": 1, "payload.rows": ROWS[:2]}))
    assert texts(read(p, "json", records_field="payload.rows")[0]) == [r["text"] for r in ROWS[:2]]
    # not a list, absent: said as before
    p.write_text(json.dumps({"version": "1.1", "data": ROWS[:3]}))
    (item,) = read(p, "json", records_field="version")[1]
    assert item.reason == "missing_text" and "records_field 'version' is a str" in item.detail
    (item,) = read(p, "json", records_field="rows")[1]
    assert item.reason == "missing_text" and "'version', 'data'" in item.detail
    # several wrappers one after another
    p.write_text(wrapper(ROWS[:2], indent=2) + "\n" + wrapper(ROWS[2:4], indent=2) + "\n")
    docs, q, counters = read(p, "json", records_field="data")
    assert texts(docs) == [r["text"] for r in ROWS[:4]] and not q and counters.get("json_concatenated_values") == 1
