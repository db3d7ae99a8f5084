import textwrap

import pytest

from pipeline.recipe import RecipeError, load_recipe


def write(tmp_path, body: str):
    p = tmp_path / "r.yaml"
    p.write_text(textwrap.dedent(body))
    return p


BASE = """
name: t
output: {out}
sources:
  - name: web
    format: jsonl
    paths: [{data}]
"""


def recipe(tmp_path, shared_data, stages: str = "", extra: str = ""):
    data = shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz"
    return write(tmp_path, BASE.format(out=tmp_path / "run", data=data) + extra + stages)


def test_valid_recipe_builds_typed_stages(tmp_path, shared_data):
    r = load_recipe(recipe(tmp_path, shared_data, """
stages:
  - stage: stages_for_tests:CharCount
  - stage: test_drop_short
    min_chars: 50
"""))
    assert [s.id for s in r.stages] == ["CharCount", "test_drop_short"]
    assert r.stages[1].stage.min_chars == 50
    assert len(r.hash()) == 64


def test_hash_is_what_the_recipe_asks_not_where_it_writes(tmp_path, shared_data):
    stages = "stages:\n  - stage: test_drop_short\n    min_chars: 50\n"
    p = recipe(tmp_path, shared_data, stages)
    same = load_recipe(p).hash()
    assert load_recipe(p, {"output": str(tmp_path / "elsewhere")}).hash() == same
    assert load_recipe(recipe(tmp_path, shared_data, stages.replace("50", "51"))).hash() != same


def test_wrong_type_names_file_key_and_expectation(tmp_path, shared_data):
    p = recipe(tmp_path, shared_data, """
stages:
  - stage: stages_for_tests:CharCount
  - stage: test_drop_short
    min_chars: lots
""")
    with pytest.raises(RecipeError) as e:
        load_recipe(p)
    msg = str(e.value)
    assert str(p) in msg
    assert "stages[1] (test_drop_short).min_chars" in msg
    assert "valid integer" in msg and "'lots'" in msg


def test_unknown_option_and_unknown_stage(tmp_path, shared_data):
    with pytest.raises(RecipeError, match=r"stages\[0\] \(test_drop_short\)\.min_char: Extra inputs"):
        load_recipe(recipe(tmp_path, shared_data, "stages:\n  - stage: test_drop_short\n    min_char: 3\n"))
    with pytest.raises(RecipeError, match=r"stages\[0\]\.stage: unknown stage 'no_such_stage'"):
        load_recipe(recipe(tmp_path, shared_data, "stages:\n  - stage: no_such_stage\n"))
    with pytest.raises(RecipeError, match=r"cannot import stage module 'nomodule'"):
        load_recipe(recipe(tmp_path, shared_data, "stages:\n  - stage: nomodule:X\n"))


def test_reader_options_are_validated_by_the_format(tmp_path, shared_data):
    # text_field belongs to row formats: on a WARC source it is a misspelt or misplaced key.
    with pytest.raises(RecipeError, match=r"sources\[0\] \(a\)\.text_field: Extra inputs.*'warc' source: content_types"):
        load_recipe(write(tmp_path, "name: t\noutput: x\nsources:\n  - {name: a, format: warc, paths: [x], text_field: t}\n"))
    r = load_recipe(write(tmp_path, "name: t\noutput: x\nsources:\n  - {name: a, format: jsonl, paths: [x], text_field: body}\n"))
    assert r.sources[0].reader.text_field == "body" and r.sources[0].max_doc_bytes > 0


def test_a_custom_reader_by_module_path(tmp_path):
    r = load_recipe(write(tmp_path, "name: t\noutput: x\nsources:\n"
                          "  - {name: a, format: 'pipeline.readers.rows:JsonlReader', paths: [x]}\n"))
    assert type(r.sources[0].reader).__name__ == "JsonlReader"
    with pytest.raises(RecipeError, match=r"is not a Reader subclass"):
        load_recipe(write(tmp_path, "name: t\noutput: x\nsources:\n  - {name: a, format: 'pipeline.recipe:Recipe', paths: [x]}\n"))


def test_top_level_errors(tmp_path, shared_data):
    with pytest.raises(RecipeError, match=r"sources\[0\]\.format: unknown format 'csv'; known formats: (\w+, )*html, (\w+, )*jsonl"):
        load_recipe(write(tmp_path, "name: t\noutput: x\nsources:\n  - name: a\n    format: csv\n    paths: [x]\n"))
    with pytest.raises(RecipeError, match=r"seed: Input should be a valid integer"):
        load_recipe(recipe(tmp_path, shared_data, extra="seed: abc\n"))
    with pytest.raises(RecipeError, match=r"not valid YAML"):
        load_recipe(write(tmp_path, "name: [unclosed\n"))
    with pytest.raises(RecipeError, match=r"output: Field required"):
        load_recipe(write(tmp_path, "name: t\nsources:\n  - {name: a, format: jsonl, paths: [x]}\n"))


def test_missing_input_is_an_error_before_work(tmp_path, shared_data):
    from pipeline.checks import list_inputs
    r = load_recipe(write(tmp_path, BASE.format(out=tmp_path / "run", data=tmp_path / "nope-*.jsonl")))
    with pytest.raises(RecipeError, match=r"sources\[0\] \(web\)\.paths: no file matches"):
        list_inputs(r)
    assert not (tmp_path / "run").exists()


PATHS_FILE = """
name: t
output: {out}
sources:
  - name: web
    format: jsonl
    paths_file: {listing}
    {more}
"""


def test_a_paths_file_lists_the_inputs_as_common_crawls_warc_paths_does(tmp_path, shared_data):
    import gzip
    from pipeline.checks import list_inputs
    data = tmp_path / "crawl" / "segments"
    for name in ("b.jsonl", "a.jsonl", "c.jsonl"):
        (data / name[0]).mkdir(parents=True)
        (data / name[0] / name).write_text('{"id": 1, "text": "x"}\n')
    listing = tmp_path / "warc.paths.gz"        # relative lines, as Common Crawl's own list
    listing.write_bytes(gzip.compress(b"segments/b/b.jsonl\n\n# a comment\nsegments/a/a.jsonl\nsegments/c/c.jsonl\n"))
    base = f"paths_base: {tmp_path / 'crawl'}"
    r = load_recipe(write(tmp_path, PATHS_FILE.format(out=tmp_path / "run", listing=listing, more=base)))
    assert list_inputs(r)["web"] == [str(data / n[0] / n) for n in ("a.jsonl", "b.jsonl", "c.jsonl")]
    r = load_recipe(write(tmp_path, PATHS_FILE.format(out=tmp_path / "run", listing=listing,
                                                      more=base + "\n    max_files: 2")))
    assert list_inputs(r)["web"] == [str(data / n[0] / n) for n in ("a.jsonl", "b.jsonl")]
    # Without the base the relative lines are relative as `paths` are, and here name nothing.
    r = load_recipe(write(tmp_path, PATHS_FILE.format(out=tmp_path / "run", listing=listing, more="")))
    with pytest.raises(RecipeError, match=r"\(web\)\.paths: file not found: '/\S*segments/b/b\.jsonl' \(line of"
                                          r".*a relative line is read from the current directory: paths_base"):
        list_inputs(r)
    listing.write_bytes(gzip.compress(b"# nothing\n"))
    r = load_recipe(write(tmp_path, PATHS_FILE.format(out=tmp_path / "run", listing=listing, more=base)))
    with pytest.raises(RecipeError, match=r"paths_file: .*lists no path"):
        list_inputs(r)


def test_a_source_needs_paths_or_a_paths_file(tmp_path):
    with pytest.raises(RecipeError, match=r"needs `paths` or `paths_file`"):
        load_recipe(write(tmp_path, f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - {{name: a, format: jsonl}}\n"))
    with pytest.raises(RecipeError, match=r"paths_base applies to the lines of paths_file"):
        load_recipe(write(tmp_path, f"name: t\noutput: {tmp_path / 'run'}\nsources:\n"
                                    f"  - {{name: a, format: jsonl, paths: [x], paths_base: /data}}\n"))


def test_a_stage_reading_text_before_extract_on_web_pages_is_refused_at_load(tmp_path, shared_data):
    # A quality filter or dedup before `extract` would judge a web page's empty text (removing every
    # page as too short, or all of them as one duplicate): found at load, naming the stage.
    warc, jsonl = shared_data / "warc" / "dolma_sample-0000.warc.gz", shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz"
    head = (f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - {{name: web, format: warc, paths: [{warc}]}}\n"
            f"  - {{name: cc, format: jsonl, paths: [{jsonl}]}}\nstages:\n")
    with pytest.raises(RecipeError, match=r"stages\[0\] \(gopher_quality\) reads `text`, which source 'web' \(warc"):
        load_recipe(write(tmp_path, head + "  - stage: gopher_quality\n  - stage: extract\n"))
    with pytest.raises(RecipeError, match=r"stages\[1\] \(exact_dedup\) reads `text`"):
        load_recipe(write(tmp_path, head + "  - stage: extract\n    apply_to: [cc]\n  - stage: exact_dedup\n"))
    ok = load_recipe(write(tmp_path, head + "  - stage: gopher_quality\n    apply_to: [cc]\n  - stage: extract\n"
                                           "  - stage: language\n  - stage: exact_dedup\n"))
    assert [s.id for s in ok.stages] == ["gopher_quality", "extract", "language", "exact_dedup"]


def test_a_column_the_input_lacks_is_one_line(tmp_path):
    import pyarrow as pa
    from pipeline.stage import StageError
    from stages.language import LanguageFilter
    from stages.url_filter import URLFilter
    docs = pa.table({"id": ["a"], "source": ["s"], "text": ["Hello there, this is a sentence."], "url": ["http://a.example/"]})
    with pytest.raises(StageError, match=r"^language: its input has no column 'body' \(it has: id, source, text, url\)$"):
        LanguageFilter(text_field="body")(docs)
    with pytest.raises(StageError, match=r"^url_filter: its input has no column 'link'"):
        URLFilter(url_field="link")(docs)
    assert LanguageFilter()(docs).kept.num_rows == 1


def test_files_and_labels_named_by_stage_options_are_checked_at_load(tmp_path, shared_data):
    missing = tmp_path / "nope.txt"
    cases = {
        f"  - stage: language\n    model_path: {missing}\n": r"stages\[0\] \(language\): model_path: file not found",
        "  - stage: language\n    languages: [english]\n": r"languages: 'english' not a lid.176 label",
        "  - stage: language\n    languages: [en]\n    thresholds: {EN: 0.9}\n": r"thresholds: 'EN' not a lid.176",
        "  - stage: language\n    languages: []\n": r"languages: an empty list would remove every document",
        f"  - stage: url_filter\n    blocklist_files: [{missing}]\n": r"blocklist_files\[0\]: file not found",
        f"  - stage: spam_filter\n    extra_list_files: [{missing}]\n": r"extra_list_files\[0\]: file not found",
        "  - stage: spam_filter\n    lists: [en_gamblng]\n": r"lists: no built-in list 'en_gamblng'; built-in: .*en_gambling",
    }
    for stages, message in cases.items():
        with pytest.raises(RecipeError, match=message):
            load_recipe(recipe(tmp_path, shared_data, "stages:\n" + stages))
    ok = load_recipe(recipe(tmp_path, shared_data, "stages:\n  - stage: language\n    languages: [en, zh, ja, yue]\n"))
    assert ok.stages[0].stage.languages == ["en", "zh", "ja", "yue"]


def test_messages_name_the_entry_not_the_whole_recipe(tmp_path, shared_data):
    twice = "stages:\n  - stage: gopher_quality\n  - stage: stages_for_tests:CharCount\n  - stage: gopher_quality\n"
    with pytest.raises(RecipeError) as e:
        load_recipe(recipe(tmp_path, shared_data, twice))
    assert str(e.value).endswith(": stages[2].id: 'gopher_quality' is already the id of stages[0] (stage ids must "
                                 "be unique: add 'id:' to tell them apart)")
    with pytest.raises(RecipeError) as e:
        load_recipe(recipe(tmp_path, shared_data, "stages:\n  - stage: gopher_quality\n    min_words: -5\n"))
    msg = str(e.value)
    assert "stages[0] (gopher_quality): min_words: a threshold must be >= 0, got -5" in msg
    assert "Value error" not in msg and "{" not in msg.split("(options of")[0]
