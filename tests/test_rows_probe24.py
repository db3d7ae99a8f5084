"""Row readers, minhash_dedup's score and `explain` on look-alikes of public datasets (probe 24):
WuDao files that each number `id` from 0, FineWeb-Edu's score inside the metadata JSON, a text
of more characters than max_doc_bytes, a JSON Lines file whose first row is an array."""
import json


from pipeline.documents import documents_table
from test_rows_layouts import read  # the row-layout tests' reader helper


def test_explain_of_an_id_two_files_share_follows_each_and_finds_the_copy_that_reaches_the_output(
        tmp_path, shared_data, ray_local):
    """part-1's w/1 is an exact copy of part-0's w/0; part-1's own w/0 (short) is removed later.
    explain said the duplicate's copy w/0 "was removed later ... no copy of it reaches the output"
    while part-0's w/0, the very text, is in the output."""
    from pipeline.inspect import explain
    from pipeline.runner import run_recipe
    words = (shared_data / "quality" / "high_quality_wiki_reference.txt").read_text().split()
    a, b = " ".join(words[:200]), " ".join(words[200:400])
    folder = tmp_path / "wudao"
    folder.mkdir()
    (folder / "part-0.json").write_text(json.dumps([{"id": 0, "content": a}, {"id": 1, "content": b}]))
    (folder / "part-1.json").write_text(json.dumps([{"id": 0, "content": "too short"}, {"id": 1, "content": a}]))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"""
name: shared-ids
output: {tmp_path / 'run'}
sources:
  - {{name: w, format: json, paths: [{folder}], text_field: content, id_field: id, group_bytes: 0}}
stages:
  - stage: stages_for_tests:CharCount
  - stage: exact_dedup
  - stage: stages_for_tests:DropShort
""")
    run_dir = run_recipe(recipe, quiet=True)["run_dir"]
    text = "\n".join(explain(run_dir, "w/1"))
    assert "no copy of it reaches the output" not in text
    assert f"the one in {folder / 'part-0.json'} is not removed by any stage: it reaches the output" in text
    assert f"the one in {folder / 'part-1.json'} was removed later: [03 DropShort] too_short" in text
    # the id itself: each file's document followed on its own, not one stage record for both
    lines = explain(run_dir, "w/0")
    assert "2 input documents have this id, in 2 files" in lines[2]
    at0 = lines.index(f"  the one in {folder / 'part-0.json'}:")
    at1 = lines.index(f"  the one in {folder / 'part-1.json'}:")
    assert "  [03 DropShort] kept" in lines[at0:at1] and "  [03 DropShort] removed: too_short" in lines[at1:]


def test_highest_score_reads_a_key_of_the_metadata_json(tmp_path, shared_data, ray_local):
    """FineWeb-Edu's `score` is in the metadata JSON: `score_column: metadata.score` failed after
    ingest ("its input has no column 'metadata.score'")."""
    from stages.dedup.fuzzy import MinHashDedup
    from stages.dedup.local import run_global, write_input
    paras = [line for line in (shared_data / "text" / "wikitext-2_valid.txt").read_text().split("\n")
             if len(line) > 1500]
    a, b = paras[0], paras[1]
    rows = [{"id": "a1", "text": a, "metadata": json.dumps({"score": 1.5})},
            {"id": "a2", "text": a + " Extra tail.", "metadata": json.dumps({"score": 3.25, "url": "u"})},
            {"id": "b1", "text": b, "metadata": json.dumps({"url": "no score"})},
            {"id": "b2", "text": "Intro line. " + b, "metadata": json.dumps({"score": "2.5"})}]
    stage = MinHashDedup(keep="highest_score", score_column="metadata.score")
    assert stage.optional_columns() == {"metadata"}
    inp = write_input([documents_table([{**r, "source": "s"} for r in rows])], tmp_path / "in")
    run = run_global(stage, inp, tmp_path / "x")
    removed = {r["id"]: r["duplicate_of"] for r in run.removed.to_pylist()}
    assert removed == {"a1": "a2", "b1": "b2"}      # b1 has no score: it ranks last
    assert run.counters["minhash_candidates_without_score"] == 1


def test_a_text_of_more_characters_than_max_doc_bytes_says_characters(tmp_path):
    """The detail said "<characters> bytes" for 150 CJK characters (450 bytes)."""
    p = tmp_path / "x.jsonl"
    texts = ["中" * 150, "x" * 150, "中" * 40, "中" * 30]
    p.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    docs, q, _ = read(p, "jsonl", max_doc_bytes=100)
    assert [d.text for d in docs] == [texts[3]]
    assert [i.detail for i in q] == ["150 characters (as many bytes or more) > max_doc_bytes 100",
                                     "150 bytes > max_doc_bytes 100", "120 bytes > max_doc_bytes 100"]


def test_a_json_lines_file_whose_first_row_is_an_array_stays_line_by_line(tmp_path):
    """Its first line is a whole array, objects one a line follow: it was read as a JSON document,
    one bad_row per element of the array and every later row's id shifted (line 2 became #4)."""
    body = '["not","an","object"]\n' + "".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(3))
    for name, fmt in (("a.jsonl", "jsonl"), ("a.json", "json")):
        (tmp_path / name).write_text(body)
        docs, q, counters = read(tmp_path / name, fmt)
        path = tmp_path / name
        assert [(i.reason, i.id) for i in q] == [("bad_row", f"s/{path}#1")], name
        assert [(d.id, d.text) for d in docs] == [(f"s/{path}#{i + 2}", f"row {i}") for i in range(3)], name
        assert "jsonl_read_as_json" not in counters
    # arrays one a line (`jq -c` output) are still a JSON document: their elements are the rows
    (tmp_path / "arrays.json").write_text("".join(json.dumps([{"text": f"row {i}"}]) + "\n" for i in range(3)))
    docs, q, _ = read(tmp_path / "arrays.json", "json")
    assert [d.text for d in docs] == [f"row {i}" for i in range(3)] and not q


def test_explain_does_not_claim_no_copy_reaches_the_output_for_an_id_small_grouped_files_share(tmp_path, ray_local):
    """Two small files numbering their rows from 0, read together into shared shards (group_bytes):
    w/2 is removed as a duplicate of w/9, and of the two w/9 one is kept and the other removed
    later; which one duplicate_of means is not recorded, so explain must not say that no copy
    reaches the output."""
    import json as _json
    import textwrap

    from pipeline.inspect import explain
    from pipeline.recipe import load_recipe
    from pipeline.runner import Runner
    folder = tmp_path / "in"
    folder.mkdir()
    text = "A document long enough to be kept by the length filter, and copied once in its own file. " * 5
    (folder / "part-0.json").write_text(_json.dumps([{"id": 9, "content": text}, {"id": 2, "content": text}]))
    (folder / "part-1.json").write_text(_json.dumps([{"id": 9, "content": "short"}]))
    p = tmp_path / "r.yaml"
    p.write_text(textwrap.dedent(f"""
        name: grouped-ids
        output: {tmp_path / 'run'}
        sources:
          - {{name: w, format: json, paths: [{folder}], text_field: content, id_field: id}}
        stages:
          - stage: exact_dedup
          - stage: stages_for_tests:CharCount
          - {{stage: "stages_for_tests:DropShort", min_chars: 100}}
        """))
    Runner(load_recipe(p), quiet=True).run()
    out = "\n".join(explain(tmp_path / "run", "w/2"))
    assert "duplicate_of: w/9" in out and "no copy of it reaches the output" not in out, out
