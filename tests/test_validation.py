"""No silent wrong output (#18): every wrong recipe, stale cache or lost row ends in a clear error
or a right result. Each test is one mistake a user can make, checked end to end where it is cheap."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.recipe import RecipeError, load_recipe

REPO = Path(__file__).resolve().parents[1]


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def data(tmp_path, shared_data):
    """Two small real sources: English (ccnet head) and Chinese (CLUECorpus sample)."""
    with gzip.open(shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz", "rt", encoding="utf-8") as f:
        en = [json.loads(line) for _, line in zip(range(30), f)]
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        zh = [{"content": line.strip()} for _, line in zip(range(30), f) if line.strip()]
    return jsonl(tmp_path / "in" / "en.jsonl", [{"text": r["text"], "url": r["id"]} for r in en]), \
        jsonl(tmp_path / "in" / "zh.jsonl", zh)


def write_recipe(tmp_path: Path, body: str, name: str = "r.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


def two_sources(tmp_path, data, stages: str = "", zh_field: str = "content", extra: str = "") -> Path:
    en, zh = data
    return write_recipe(tmp_path, f"""
name: t
output: {tmp_path / 'run'}
{extra}
sources:
  - name: en
    format: jsonl
    paths: [{en}]
  - name: zh
    format: jsonl
    paths: [{zh}]
    text_field: {zh_field}
stages:
""" + textwrap.indent(textwrap.dedent(stages), "  "))


def one_line_error(p: Path, match: str) -> str:
    with pytest.raises(RecipeError) as e:
        load_recipe(p)
    msg = str(e.value)
    assert "\n" not in msg, msg
    assert str(p) in msg, msg
    assert match in msg, msg
    return msg


def cli(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


# -- whole-recipe cross references -----------------------------------------------------------------
def test_mix_naming_a_source_not_in_the_recipe_fails_validate(tmp_path, data):
    p = two_sources(tmp_path, data, """
        - stage: mix
          sources: {en: {weight: 1}, zh: {weight: 1}, web: {weight: 1}}
        """)
    one_line_error(p, "stages[0] (mix): sources: ['web'] are not sources of this recipe")
    r = cli("validate", str(p))
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "'web'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_mix_must_list_every_recipe_source(tmp_path, data):
    p = two_sources(tmp_path, data, "- stage: mix\n  sources: {en: {weight: 1}}\n")
    one_line_error(p, "recipe sources ['zh'] are not listed")


def test_mix_shortfall_that_the_limits_prove_fails_at_load(tmp_path, data):
    p = two_sources(tmp_path, data, """
        - stage: mix
          target_tokens: 1000000
          sources: {en: {weight: 1}, zh: {weight: 1, max_tokens: 1000}}
        """)
    one_line_error(p, "zh: needs 500,000 tokens, has 1,000 (max_tokens=1000)")


def test_mix_shortfall_at_run_time_is_one_line_stage_error():
    from pipeline.stage import StageError
    from stages.mix import Mix
    mix = Mix(sources={"en": {"weight": 1}, "zh": {"weight": 3, "max_epochs": 2}}, target_tokens=10_000)
    with pytest.raises(StageError) as e:
        mix.targets({"en": 50_000, "zh": 1_000})
    msg = str(e.value)
    assert "\n" not in msg and "zh: needs 7,500 tokens, has 2,000 (documents hold 1,000" in msg


def test_mix_shortfall_predicted_from_ingested_bytes(tmp_path, data):
    from pipeline.checks import check_stages_against_input
    from pipeline.stage import StageError
    p = two_sources(tmp_path, data, """
        - stage: mix
          target_tokens: 1000000
          sources: {en: {weight: 1}, zh: {weight: 1, max_epochs: 2}}
        """)
    recipe = load_recipe(p)
    files = tmp_path / "ingest" / "files"
    files.mkdir(parents=True)
    (files / "00-00000.done.json").write_text(json.dumps({"docs_out": 100, "bytes_out": 900_000}))
    (files / "01-00000.done.json").write_text(json.dumps({"docs_out": 30, "bytes_out": 60_000}))
    with pytest.raises(StageError) as e:
        check_stages_against_input(recipe, tmp_path / "ingest")
    msg = str(e.value)
    assert "\n" not in msg and "zh: needs 500,000 tokens, can have at most 240,120" in msg and "en:" not in msg
    assert "predicted from the ingested input" in msg
    (files / "01-00000.done.json").write_text(json.dumps({"docs_out": 30, "bytes_out": 600_000}))
    check_stages_against_input(recipe, tmp_path / "ingest")      # enough bytes: decided after counting


def test_tokenize_inheriting_the_mix_tokenizer_must_follow_the_mix(tmp_path, data):
    p = two_sources(tmp_path, data, """
        - stage: mix
          sources: {en: {weight: 1}, zh: {weight: 1}}
        - stage: stages_for_tests:CharCount
        - stage: tokenize
        """)
    one_line_error(p, "stages[2] (tokenize): inherits the tokenizer of 'mix' only when it comes right after it")
    ok = two_sources(tmp_path, data, """
        - stage: mix
          sources: {en: {weight: 1}, zh: {weight: 1}}
        - stage: tokenize
        """, extra="seed: 1")
    assert [s.id for s in load_recipe(ok).stages] == ["mix", "tokenize"]
    after = two_sources(tmp_path, data, "- stage: tokenize\n- stage: stages_for_tests:CharCount\n")
    one_line_error(after, "stages[0] (tokenize): must be the last stage")


def test_missing_tokenizer_file_fails_at_load(tmp_path, data):
    p = two_sources(tmp_path, data, f"- stage: tokenize\n  tokenizer: {{path: {tmp_path / 'nope.json'}}}\n")
    one_line_error(p, "tokenizer.path: file not found")


def test_unknown_key_in_nested_options(tmp_path, data):
    p = two_sources(tmp_path, data, "- stage: mix\n  sources: {en: {wieght: 1}, zh: {weight: 1}}\n")
    one_line_error(p, "stages[0] (mix).sources.en.wieght: Extra inputs are not permitted")


# -- input mistakes: one line, file and key, exit 2 ------------------------------------------------
def test_missing_source_file_fails_validate(tmp_path, data):
    en, _ = data
    p = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources:
          - {{name: en, format: jsonl, paths: [{en}, {tmp_path / 'in' / 'missing.jsonl'}]}}
        """)
    r = cli("validate", str(p))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "sources[0] (en).paths: file not found:" in r.stderr and "missing.jsonl" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_two_sources_reading_one_file_alike_are_refused(tmp_path, data):
    """Was: both read it, every document twice under two source names (a mix counts both)."""
    from pipeline.checks import list_inputs
    en, _ = data
    twice = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources:
          - {{name: all, format: jsonl, paths: ["{en.parent}/*.jsonl"]}}
          - {{name: en, format: jsonl, paths: [{en}]}}
        """)
    with pytest.raises(RecipeError) as e:
        list_inputs(load_recipe(twice))
    assert f"sources 'all' and 'en' both read {str(en)!r} as jsonl with the same options" in str(e.value)
    # Another reading of the file (its `url` field as the text) is a second source, not a copy.
    other = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources:
          - {{name: all, format: jsonl, paths: ["{en.parent}/*.jsonl"]}}
          - {{name: en, format: jsonl, paths: [{en}], text_field: url}}
        """, name="other.yaml")
    assert len(list_inputs(load_recipe(other))["en"]) == 1


def test_an_empty_input_folder_is_said_to_be_one(tmp_path):
    """It said "file not found" of a folder that is there."""
    from pipeline.checks import list_inputs
    from pipeline.recipe import RecipeError, load_recipe
    (tmp_path / "in").mkdir()
    p = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources:
          - {{name: en, format: jsonl, paths: [{tmp_path / 'in'}]}}
        """)
    with pytest.raises(RecipeError, match=r"\(en\)\.paths: a folder holding no file: '/\S*/in'$"):
        list_inputs(load_recipe(p))


def test_unreadable_source_file_fails_validate(tmp_path, data):
    from pipeline.checks import list_inputs
    loop = tmp_path / "in" / "loop.jsonl"
    os.symlink(loop, loop)       # a symlink to itself: present, but opening it fails
    p = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources: [{{name: en, format: jsonl, paths: [{loop}]}}]
        """)
    with pytest.raises(RecipeError, match=r"sources\[0\] \(en\)\.paths: cannot read .*loop\.jsonl.*symbolic links"):
        list_inputs(load_recipe(p))


def test_unreadable_file_at_run_time_is_quarantined(tmp_path):
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    src = SourceConfig(name="d", format="text", paths=[str(tmp_path)])
    (tmp_path / "sub").mkdir()
    items = list(read_source_file(src, str(tmp_path / "sub"), ReadState()))
    assert [i.reason for i in items] == ["unreadable_file"]


def test_output_inside_an_input_directory_is_refused(tmp_path, data):
    from pipeline.checks import list_inputs
    p = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'in' / 'run'}
        sources: [{{name: en, format: jsonl, paths: [{tmp_path / 'in'}]}}]
        """)
    from pipeline.lease import check_output
    r = load_recipe(p)
    with pytest.raises(RecipeError, match="output .* is inside the input of source 'en'"):
        check_output(r.output, r, list_inputs(r))
    same = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'in'}
        sources: [{{name: en, format: jsonl, paths: ['{tmp_path / 'in'}/*.jsonl']}}]
        """)
    r = load_recipe(same)
    with pytest.raises(RecipeError, match="inside the input of source .en.|holds input file"):
        check_output(r.output, r, list_inputs(r))


def test_bad_yaml_is_one_line_with_the_line_number(tmp_path):
    p = write_recipe(tmp_path, "name: t\nsources:\n  - name: [unclosed\n")
    one_line_error(p, f"{p}:4:1: not valid YAML")


def test_yaml_alias_bomb_is_refused_before_expanding(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    p = write_recipe(tmp_path, "\n".join(lines) + "\nname: *i\noutput: x\nsources: []\n")
    msg = one_line_error(p, "YAML aliases expand this value past")
    assert len(msg) < 400


def test_recursive_alias_and_duplicate_keys_are_refused(tmp_path):
    one_line_error(write_recipe(tmp_path, "name: &x [*x]\n", "rec.yaml"), "refers to itself")
    one_line_error(write_recipe(tmp_path, "name: a\nstages: []\nname: b\n", "dup.yaml"),
                   "key 'name' appears twice in one mapping (first on line 1)")


def test_huge_wrong_value_is_not_formatted_whole(tmp_path, data):
    # 40 kB of YAML: a value formatted whole would be far past the limit below; 200k items only
    # made PyYAML's pure-Python loader take 15 s
    p = two_sources(tmp_path, data, extra="seed: [" + ",".join(["1"] * 20_000) + "]")
    msg = one_line_error(p, "seed: Input should be a valid integer")
    assert len(msg) < 600


@pytest.mark.parametrize("body,match", [
    ("name: t\noutput: o\nsources: {a: 1}\n", "sources: Input should be a valid list"),
    ("name: t\noutput: o\nsources: []\n", "sources: List should have at least 1 item"),
    ("name: t\noutput: ''\nsources: [{name: a, format: text, paths: x}]\n", "output: String should have at least"),
    ("name: t\noutput: o\nsources: [{name: a, format: text, paths: x}]\nstages: [{stage: 'stages_for_tests:CharCount', "
     "id: ../../etc}]\n", "stages[0].id: String should match pattern"),
    ("name: t\noutput: o\nsources: [{name: a, format: text, paths: 3}]\n", "sources[0].paths"),
    ("name: t\noutput: o\nsources: [{name: a, format: text, paths: x, max_quarantine_share: 2}]\n",
     "max_quarantine_share: Input should be less than or equal to 1"),
])
def test_wrong_types_give_one_line_errors(tmp_path, body, match):
    one_line_error(write_recipe(tmp_path, body), match)


# -- stage paths -------------------------------------------------------------------------------
def test_module_dot_class_and_module_colon_class_both_work(tmp_path, data):
    p = two_sources(tmp_path, data, "- stage: stages_for_tests.CharCount\n- stage: stages_for_tests:CharCount\n"
                                    "  id: again\n")
    r = load_recipe(p)
    assert [type(s.stage).__name__ for s in r.stages] == ["CharCount", "CharCount"]
    assert r.stages[0].id == "CharCount"


def test_a_non_stage_class_is_refused_before_its_module_runs(tmp_path, data, monkeypatch):
    marker = tmp_path / "module_ran"
    pkg = tmp_path / "userpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tricky.py").write_text(textwrap.dedent(f"""
        open({str(marker)!r}, "w").write("ran")
        from collections import OrderedDict

        class NotAStage(OrderedDict):
            pass

        class Plain:
            pass
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    for ref, why in [("userpkg.tricky:NotAStage", "is not a Stage subclass"),
                     ("userpkg.tricky.Plain", "is not a Stage subclass"),
                     ("userpkg.tricky:Missing", "defines no class 'Missing'"),
                     ("json:JSONDecoder", "is not a Stage subclass")]:
        one_line_error(two_sources(tmp_path, data, f"- stage: {ref}\n"), why)
    bad_format = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources: [{{name: en, format: userpkg.tricky.Plain, paths: x}}]
        """, "fmt.yaml")
    one_line_error(bad_format, "sources[0].format: 'userpkg.tricky.Plain' is not a Reader subclass")
    assert not marker.exists(), "the module's code ran before the Stage check"


def test_a_stage_defined_on_a_project_base_is_accepted_before_import(tmp_path, data, monkeypatch):
    from pipeline.registry import static_is_subclass
    from pipeline.stage import Stage
    (tmp_path / "userstage.py").write_text(textwrap.dedent("""
        from pipeline import stage as st
        from pipeline.stage import Filter

        class Base(Filter):
            pass

        class Mine(Base):
            def judge(self, batch):
                raise NotImplementedError

        class Other(st.Stage):
            pass
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert static_is_subclass("userstage", "Mine", Stage) is True
    assert static_is_subclass("userstage", "Other", Stage) is True
    assert "userstage" not in sys.modules


# -- the quarantine guard ----------------------------------------------------------------------
def test_quarantine_verdict():
    from pipeline.checks import quarantine_verdict
    assert quarantine_verdict("web", 10, {"bad_json": 10}, 0.5) is None
    msg = quarantine_verdict("zh", 1, {"missing_text": 29, "bad_json": 2, "empty_document": 1, "x": 1}, 0.5)
    assert msg.startswith("source 'zh': 33 of 34 records quarantined (97% > max_quarantine_share 0.5)")
    assert "top reasons: missing_text 29, bad_json 2, empty_document 1" in msg and "x 1" not in msg
    assert "no records" in quarantine_verdict("empty", 0, {}, 0.5)
    # Records read but all skipped: said so, by kind, with what the format suggests.
    wet = quarantine_verdict("web", 0, {}, 0.5, {"skipped_conversion": 3, "skipped_warcinfo": 1, "x": 2}, "warc")
    assert wet == ("source 'web': no documents: its 4 records were all skipped (conversion 3, warcinfo 1); "
                   "conversion records are a WET file's text: use format: wet")
    assert "use format: warc" in quarantine_verdict("web", 0, {}, 0.5, {"skipped_response": 2}, "wet")



def test_quarantine_verdict_judges_files_lost_whole():
    # A file that cannot be read at all is one quarantined record, however many rows it held:
    # 8 of 10 files lost beside 200 documents is 4% of the records, and most of the source.
    from pipeline.checks import quarantine_verdict
    assert quarantine_verdict("web", 200, {"corrupt_compression": 8}, 0.5) is None       # records alone: 4%
    msg = quarantine_verdict("web", 200, {"corrupt_compression": 8}, 0.5, files=10,
                             lost_files={"corrupt_compression": 6, "bad_parquet": 1, "bad_json": 1, "x": 1})
    assert msg == ("source 'web': 9 of 10 files lost whole (90% > max_quarantine_share 0.5); "
                   "top reasons: corrupt_compression 6, bad_json 1, bad_parquet 1")
    assert quarantine_verdict("web", 200, {"corrupt_compression": 8}, 0.9, files=10,
                              lost_files={"corrupt_compression": 8}) is None
    assert quarantine_verdict("web", 200, {"corrupt_compression": 5}, 0.5, files=10,
                              lost_files={"corrupt_compression": 5}) is None            # half is not more
    # a one-file source lost whole still says so by records, as before
    assert quarantine_verdict("web", 0, {"corrupt_compression": 1}, 0.5, files=1,
                              lost_files={"corrupt_compression": 1}).startswith("source 'web': 1 of 1 records")


def test_files_lost_whole_are_counted_from_the_file_records(tmp_path):
    # Old run folders have the same records: lost whole is no document and something quarantined.
    # An empty file or one whose records were all skipped lost nothing; a trial's --sample may
    # have dropped every document of a file that held some.
    from pipeline.checks import ingest_counts
    files = tmp_path / "ingest" / "files"
    files.mkdir(parents=True)
    for name, rec in [("00-00000", {"docs_out": 100, "quarantined": {"bad_json": 3}}),
                      ("00-00001", {"docs_out": 0, "quarantined": {"corrupt_compression": 1}}),
                      ("00-00002", {"docs_out": 0, "quarantined": {"bad_json": 2, "missing_text": 5}}),
                      ("00-00003", {"docs_out": 0, "quarantined": {}, "counters": {"skipped_request": 4}}),
                      ("00-00004", {"docs_out": 0}),
                      ("00-00005", {"docs_out": 0, "quarantined": {"bad_json": 1},
                                    "counters": {"trial_sampled_out": 9}}),
                      ("01-00000", {"docs_out": 0, "quarantined": {"bad_parquet": 1}})]:
        (files / f"{name}.done.json").write_text(json.dumps(rec))
    web, books = ingest_counts(tmp_path / "ingest", 2)
    # files holding records: empty and skipped-only ones would dilute the share of files lost
    assert (web.files, web.lost_files) == (4, {"corrupt_compression": 1, "missing_text": 1})
    assert (books.files, books.lost_files) == (1, {"bad_parquet": 1})


@pytest.mark.long(seconds=15)
def test_a_source_mostly_lost_as_whole_files_stops_the_run(tmp_path):
    # 4 of 6 .jsonl.gz files cut to a few bytes: 4 quarantined records beside 240 documents (2%).
    for i in range(6):
        rows = [{"text": f"Document {j} of file {i}, long enough to be kept as it is. " * 3} for j in range(60)]
        raw = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"part-{i}.jsonl.gz").write_bytes(raw if i < 2 else raw[:12])
    body = f"""
        name: t
        output: {tmp_path / 'run'}
        {{share}}
        sources:
          - {{{{name: web, format: jsonl, paths: [{tmp_path / 'in'}]}}}}
        """
    r = cli("run", str(write_recipe(tmp_path, body.format(share=""))), "--quiet")
    assert r.returncode == 2, r.stderr[-3000:]
    err = r.stderr.strip().splitlines()[-1]
    assert err.startswith("error: ") and "Traceback" not in r.stderr
    assert ("source 'web': 4 of 6 files lost whole (67% > max_quarantine_share 0.5); "
            "top reasons: corrupt_compression 4; most in " + ", ".join(
                f"{tmp_path / 'in' / f'part-{i}.jsonl.gz'} (1)" for i in (2, 3, 4))) in err   # which files
    r = cli("run", str(write_recipe(tmp_path, body.format(share="max_quarantine_share: 0.9"), "ok.yaml")), "--quiet")
    assert r.returncode == 0, r.stderr[-3000:]

def test_quarantine_guard_over_ingest_records_with_a_per_source_share(tmp_path, data):
    from pipeline.checks import QuarantineError, check_ingest_quarantine
    en, zh = data
    p = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        max_quarantine_share: 0.2
        sources:
          - {{name: en, format: jsonl, paths: [{en}], max_quarantine_share: 0.95}}
          - {{name: zh, format: jsonl, paths: [{zh}], text_field: content}}
        """)
    recipe = load_recipe(p)
    files = tmp_path / "ingest" / "files"
    files.mkdir(parents=True)
    for name, docs, q in [("00-00000", 1, {"bad_json": 9}), ("01-00000", 70, {"too_large": 10}),
                          ("01-00001", 0, {"missing_text": 20})]:
        (files / f"{name}.done.json").write_text(json.dumps({"docs_out": docs, "quarantined": q}))
    with pytest.raises(QuarantineError) as e:
        check_ingest_quarantine(recipe, tmp_path / "ingest")
    msg = str(e.value)
    assert "source 'zh': 30 of 100 records quarantined (30% > max_quarantine_share 0.2)" in msg
    assert "missing_text 20, too_large 10" in msg and "'en'" not in msg   # en: 90% <= its own 0.95


def test_an_id_field_in_none_of_the_records_stops_the_run(tmp_path, data):
    # A misspelt id_field numbered every document by file and line, silently; some rows without
    # it are only counted (id_field_missing), all of them is a recipe that does not fit the data.
    from pipeline.checks import QuarantineError, check_ingest_quarantine
    from pipeline.readers import Doc, ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    en, _ = data
    src = SourceConfig(name="en", format="jsonl", paths=[str(en)], id_field="doc_id")
    state = ReadState()
    docs = [d for d in read_source_file(src, str(en), state) if isinstance(d, Doc)]
    assert docs and state.counters["id_field_missing"] == len(docs)
    p = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources:
          - {{name: en, format: jsonl, paths: [{en}], id_field: doc_id}}
          - {{name: ok, format: jsonl, paths: [{en}], id_field: id}}
        """)
    files = tmp_path / "ingest" / "files"
    files.mkdir(parents=True)
    for name, docs_out, missing in [("00-00000", 50, 50), ("01-00000", 50, 3)]:
        (files / f"{name}.done.json").write_text(json.dumps({"docs_out": docs_out, "quarantined": {},
                                                             "counters": {"id_field_missing": missing}}))
    with pytest.raises(QuarantineError, match=r"source 'en': id_field 'doc_id' is in none of its 50 documents") as e:
        check_ingest_quarantine(load_recipe(p), tmp_path / "ingest")
    assert "'ok'" not in str(e.value)


def test_a_trial_that_samples_everything_out_says_so(tmp_path, data):
    from pipeline.checks import QuarantineError, check_ingest_quarantine
    en, _ = data
    p = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources:
          - {{name: en, format: jsonl, paths: [{en}]}}
        """)
    files = tmp_path / "ingest" / "files"
    files.mkdir(parents=True)
    (files / "00-00000.done.json").write_text(json.dumps({"docs_out": 0, "quarantined": {},
                                                         "counters": {"trial_sampled_out": 20}}))
    with pytest.raises(QuarantineError, match=r"source 'en': the trial's --sample kept none of its documents"):
        check_ingest_quarantine(load_recipe(p), tmp_path / "ingest")


def test_wrong_text_field_stops_the_run(tmp_path, data, ray_local):
    from pipeline.checks import QuarantineError
    from pipeline.runner import Runner
    r = load_recipe(two_sources(tmp_path, data, "- stage: stages_for_tests:CharCount\n", zh_field="text"))
    with pytest.raises(QuarantineError) as e:
        Runner(r, quiet=True).run()
    msg = str(e.value)
    assert "\n" not in msg and "source 'zh'" in msg and "missing_text" in msg and "'en'" not in msg
    # the same data with the right field runs, and the Python API leaves the report the CLI leaves;
    # the English file is also read a second time under another name (ids from its `url` field)
    from pipeline import run_recipe
    from pipeline.inspect import explain
    en, zh = data
    copy = tmp_path / "in" / "en_copy.jsonl"
    copy.write_bytes(en.read_bytes())
    p = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run2'}
        sources:
          - {{name: en, format: jsonl, paths: [{en}, {copy}], id_field: url}}
          - {{name: zh, format: jsonl, paths: [{zh}], text_field: content}}
        stages:
          - stage: stages_for_tests:CharCount
        """, "ok.yaml")
    stats = run_recipe(p, quiet=True)
    run_dir = Path(stats["run_dir"])
    assert (run_dir / "report.html").is_file() and (run_dir / "report.md").is_file()
    import pyarrow.parquet as pq
    rows = pq.read_table(Path(stats["stages"][1]["dir"]) / "shards", columns=["id", "source"]).to_pylist()
    assert rows and all(r["id"].startswith(r["source"] + "/") for r in rows)   # source-prefixed
    n_en = sum(1 for line in en.read_text().splitlines() if line.strip())
    assert len(rows) == stats["stages"][0]["docs_out"] == 2 * n_en + sum(1 for r in rows if r["source"] == "zh")
    assert stats["stages"][0]["counters"]["duplicate_id_across_files"] == n_en   # counted, not merged
    dup = next(r["id"] for r in rows if r["source"] == "en")
    assert "2 input documents have this id" in "\n".join(explain(run_dir, dup))


def test_duplicate_ids_in_a_file_are_counted_and_made_unique(tmp_path):
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    f = jsonl(tmp_path / "d.jsonl", [{"id": "a", "text": "one"}, {"id": "b", "text": "two"},
                                     {"id": "a", "text": "three"}, {"id": "a", "text": "four"}])
    src = SourceConfig(name="web", format="jsonl", paths=[str(f)], id_field="id")
    state = ReadState()
    ids = [d.id for d in read_source_file(src, str(f), state)]
    assert ids == ["web/a", "web/b", "web/a#dup1", "web/a#dup2"]
    assert state.counters["duplicate_id"] == 2
    # a suffix never lands on an id the file itself has, before or after it
    for given, want in ((["a", "a#dup1", "a"], ["a", "a#dup1", "a#dup2"]),
                        (["a", "a", "a#dup1"], ["a", "a#dup1", "a#dup1#dup1"])):
        f = jsonl(tmp_path / "e.jsonl", [{"id": i, "text": f"t{k}"} for k, i in enumerate(given)])
        src = SourceConfig(name="web", format="jsonl", paths=[str(f)], id_field="id")
        assert [d.id for d in read_source_file(src, str(f), ReadState())] == [f"web/{i}" for i in want]


# -- annotate_only columns named by stage id -------------------------------------------------------
def test_two_instances_of_one_filter_never_share_a_column():
    import stages_for_tests  # noqa: F401 - registers test_drop_short (alone, nothing else has)
    from pipeline.recipe import parse_recipe
    from pipeline.stage import StageContext
    r = parse_recipe({"name": "t", "output": "/tmp/unused", "sources": [{"name": "a", "format": "jsonl", "paths": ["x"]}],
                      "stages": [{"stage": "test_drop_short", "min_chars": 3, "annotate_only": True},
                                 {"stage": "test_drop_short", "id": "strict", "min_chars": 10, "annotate_only": True}]})
    loose, strict = (s.stage.model_copy().bind(StageContext(stage_id=s.id)) for s in r.stages)
    t = pa.table({"text": ["abcd", "abcdefghijkl"], "n_chars": [4, 12]})
    out = strict(loose(t).kept).kept
    cols = out.column_names
    assert len(cols) == len(set(cols)), cols
    assert out.column("test_drop_short_reason").to_pylist() == [None, None]
    assert out.column("strict_reason").to_pylist() == ["too_short", None]
    # the recipe has two instances of the class: each one's signals carry its id
    assert out.column("test_drop_short.long_enough").to_pylist() == [True, True]
    assert out.column("strict.long_enough").to_pylist() == [False, True]
    # a single instance keeps plain signal names
    single = parse_recipe({"name": "t", "output": "/tmp/unused", "sources": [{"name": "a", "format": "jsonl", "paths": ["x"]}],
                           "stages": [{"stage": "test_drop_short", "id": "only", "min_chars": 3}]}).stages[0]
    assert "long_enough" in single.stage.model_copy().bind(StageContext(stage_id="only"))(t).kept.column_names


# -- cache keys ----------------------------------------------------------------------------------
def _user_package(root: Path) -> Path:
    pkg = root / "custompkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "data" / "words.txt").write_text("alpha\nbeta\n")
    (pkg / "helper.py").write_text("def score(text):\n    return len(text)\n")
    (pkg / "unrelated.py").write_text("X = 1\n")
    (pkg / "stage.py").write_text(textwrap.dedent("""
        from pathlib import Path
        import pyarrow as pa
        from pipeline.stage import Stage

        WORDS = Path(__file__).parent / "data" / "words.txt"

        class Scored(Stage):
            factor: int = 1

            def process(self, batch):
                from custompkg.helper import score   # a lazy import counts too
                return batch.append_column("s", pa.array([score(t) * self.factor for t in batch["text"].to_pylist()]))
        """))
    return pkg


def test_editing_a_helper_module_or_data_file_changes_the_cache_key(tmp_path, data, monkeypatch):
    from pipeline.checks import list_inputs
    from pipeline.fingerprint import fingerprint_parts, stage_fingerprint
    from pipeline.plan import plan
    pkg = _user_package(tmp_path / "lib")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    recipe = load_recipe(two_sources(tmp_path, data, "- stage: custompkg.stage:Scored\n"))
    parts = fingerprint_parts(recipe.stages[0].stage)
    assert set(parts["code"]) >= {"custompkg.stage", "custompkg.helper", "pipeline.stage"}
    assert "custompkg.unrelated" not in parts["code"]
    assert str((pkg / "data" / "words.txt").resolve()) in parts["data"]
    assert "pyarrow" in parts["libraries"] and "pydantic" in parts["libraries"]

    def key() -> str:
        stages = plan(recipe, tmp_path / "run", list_inputs(recipe))
        return stages[1].key

    k0, f0 = key(), stage_fingerprint(recipe.stages[0].stage)
    (pkg / "unrelated.py").write_text("X = 2\n")
    assert key() == k0
    (pkg / "helper.py").write_text("def score(text):\n    return 2 * len(text)\n")
    k1 = key()
    assert k1 != k0
    (pkg / "data" / "words.txt").write_text("alpha\ngamma\n")
    k2 = key()
    assert k2 not in (k0, k1)
    assert stage_fingerprint(recipe.stages[0].stage.model_copy(update={"factor": 2})) != f0


def test_a_stage_written_as_the_readme_shows_is_keyed_by_what_it_uses_not_the_whole_framework(tmp_path,
                                                                                             user_package):
    """`from pipeline import Filter, register` took the package's __init__ and everything it
    imports (runner, CLI, report: 36 modules) into the stage's key, so any framework edit
    recomputed custom stages, though not built-in ones (which import from pipeline.stage)."""
    import sys

    from pipeline.fingerprint import fingerprint_parts
    user_package("readme_pkg", {"filters": """
        from pipeline import Filter, register
        from pipeline.stage import Judgement


        @register("readme_min_len")
        class MinLen(Filter):
            def judge(self, batch):
                return Judgement([None] * batch.num_rows)
        """})
    sys.path.insert(0, str(tmp_path))
    try:
        import readme_pkg.filters
        code = set(fingerprint_parts(readme_pkg.filters.MinLen())["code"])
    finally:
        sys.path.remove(str(tmp_path))
    assert code == {"readme_pkg.filters", "pipeline.stage", "pipeline.registry"} | \
        (code & {"pipeline.documents", "pipeline.shards"})
    assert not code & {"pipeline", "pipeline.runner", "pipeline.cli", "pipeline.stats"}


def test_editing_a_readers_code_changes_the_ingest_key(tmp_path, data, monkeypatch):
    """A reader fixed in place reads its cached input again: ingest's key covers the reader's code
    (followed through its imports), as a stage's key covers the stage's."""
    from pipeline.checks import list_inputs
    from pipeline.plan import plan
    pkg = tmp_path / "lib" / "readerpkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "clean.py").write_text("def clean(line):\n    return line.strip()\n")
    (pkg / "unrelated.py").write_text("X = 1\n")
    (pkg / "reader.py").write_text(textwrap.dedent("""
        from pipeline.readers import Doc, Reader
        from readerpkg.clean import clean

        class Lines(Reader):
            def read(self, path, src, state):
                for i, line in enumerate(open(path, encoding="utf-8")):
                    yield Doc(str(i), None, text=clean(line))
        """))
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    (tmp_path / "in.txt").write_text("one line\nanother line\n")
    recipe = load_recipe(write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources: [{{name: l, format: "readerpkg.reader:Lines", paths: [{tmp_path / 'in.txt'}]}}]
        """))

    def key() -> str:
        return plan(recipe, tmp_path / "run", list_inputs(recipe))[0].key
    k0 = key()
    (pkg / "unrelated.py").write_text("X = 2\n")
    assert key() == k0
    (pkg / "clean.py").write_text("def clean(line):\n    return line.strip().lower()\n")
    assert key() != k0


def test_builtin_stages_fingerprint_their_helpers_and_profiles():
    from pipeline.fingerprint import fingerprint_parts
    from pipeline.registry import resolve_stage
    dedup = fingerprint_parts(resolve_stage("minhash_dedup")())
    assert {"stages.dedup.minhash", "stages.dedup.lsh", "stages.dedup.verify", "stages.dedup.clusters",
            "stages.segmentation"} <= set(dedup["code"])
    assert "xxhash" in dedup["libraries"]           # the shingles' hash (minhash.py); no datasketch at run time
    gopher = fingerprint_parts(resolve_stage("gopher_quality")())
    assert any(p.endswith("stages/profiles/en.yaml") for p in gopher["data"])
    spam = fingerprint_parts(resolve_stage("spam_filter")())
    assert any(p.endswith("stages/data/blocklists") for p in spam["data"])


def test_library_versions_name_the_distributions_packages_distributions_names():
    """The narrowed lookup (only the asked names' distributions are read) finds exactly what
    importlib.metadata.packages_distributions() maps each top-level name to, in its order."""
    import importlib.metadata
    from pipeline.fingerprint import _distributions_of, library_versions
    full = importlib.metadata.packages_distributions()
    assert len(full) > 20                              # a real environment, not an empty one
    for top, names in full.items():
        assert list(_distributions_of(top)) == names, top
    assert _distributions_of("no_such_module_here") == ()
    versions = library_versions(["pyarrow", "pydantic", "no_such_module_here"])
    assert versions == {d: importlib.metadata.version(d) for top in ("pyarrow", "pydantic") for d in full[top]}


def test_home_directory_in_output_and_paths(tmp_path, data, monkeypatch):
    from pipeline.checks import list_inputs
    monkeypatch.setenv("HOME", str(tmp_path))
    p = write_recipe(tmp_path, "name: t\noutput: ~/run\nsources: [{name: en, format: jsonl, paths: ~/in/en.jsonl}]\n")
    r = load_recipe(p)
    assert r.output == str(tmp_path / "run")          # not a directory literally named '~'
    assert list_inputs(r) == {"en": [str(tmp_path / "in" / "en.jsonl")]}


def test_a_dangling_symlink_inside_an_input_directory_is_quarantined_not_fatal(tmp_path, data):
    """A file a directory (or glob) turned up that cannot be read is bad input like any other:
    the recipe loads, the link is quarantined with what it points to, the other files are read."""
    from pipeline.checks import list_inputs
    from pipeline.readers import ReadState, read_source_file
    from pipeline.readers.fingerprint import file_fingerprint
    import fsspec
    en, _ = data
    d = tmp_path / "tree"
    d.mkdir()
    (d / "good.jsonl").write_bytes(en.read_bytes())
    os.symlink("/nonexistent/gone.jsonl", d / "dangling.jsonl")
    p = write_recipe(tmp_path, f"""
        name: t
        output: {tmp_path / 'run'}
        sources: [{{name: en, format: jsonl, paths: [{d}]}}]
        """)
    r = load_recipe(p)
    files = list_inputs(r)["en"]
    assert sorted(os.path.basename(f) for f in files) == ["dangling.jsonl", "good.jsonl"]
    link = str(d / "dangling.jsonl")
    assert file_fingerprint(fsspec.filesystem("file"), link)["link"] == "/nonexistent/gone.jsonl"
    items = list(read_source_file(r.sources[0], link, ReadState()))
    assert [i.reason for i in items] == ["unreadable_file"] and "/nonexistent/gone.jsonl" in items[0].detail
    # Named on its own, the same link is an error at load.
    named = write_recipe(tmp_path, f"""
        name: t2
        output: {tmp_path / 'run2'}
        sources: [{{name: en, format: jsonl, paths: [{link}]}}]
        """)
    with pytest.raises(RecipeError, match="dangling.jsonl"):
        list_inputs(load_recipe(named))
