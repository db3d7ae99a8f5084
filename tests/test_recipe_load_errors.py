"""Recipe mistakes a probe of 135 broken recipes found said badly or not at all at load: each is
now one line at load that names the key and what to do. (The probe's cases: a misspelt key inside
mix's `sources`/`tokenizer` listed mix's top-level options; YAML's `no` as false; `$HOME` in
`output` wrote to a folder named '$HOME'; `export.to` inside an input was read back by the next
run, and one over a data lake's `data/` failed only after the whole run; a custom stage module
failing at import was a traceback; an output bucket without credentials "did not exist"; a stage
option left blank turned its rule off.)"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.lease import check_output
from pipeline.recipe import RecipeError, load_recipe

REPO = Path(__file__).resolve().parents[1]


def recipe(tmp_path: Path, stages: str = "  - stage: gopher_quality\n", top: str = "",
           output: str | None = None) -> Path:
    data = tmp_path / "in" / "cc"
    data.mkdir(parents=True, exist_ok=True)
    (data / "a.jsonl").write_text('{"id": "a", "text": "some words here"}\n')
    p = tmp_path / "r.yaml"
    p.write_text(f"name: t\noutput: {output or tmp_path / 'run'}\n{top}sources:\n"
                 f"  - {{name: cc, format: jsonl, paths: ['{data}/']}}\nstages:\n{stages}")
    return p


def load_error(path: Path) -> str:
    with pytest.raises(RecipeError) as e:
        recipe_ = load_recipe(path)
        check_output(recipe_.output, recipe_, {})       # what `validate` and `run` check before any work
    message = str(e.value)
    assert "\n" not in message
    return message


MIX = """  - stage: mix
    sources:
      cc: {%s: 1.0}
    tokenizer: {%s: 2000}
  - stage: tokenize
"""


@pytest.mark.parametrize("weight, vocab, hint", [
    ("weigth", "vocab_size", "(options of 'mix' sources.cc: weight, max_epochs, max_tokens)"),
    ("weight", "vocab", "(options of 'mix' tokenizer: path, vocab_size,"),
])
def test_a_misspelt_key_inside_an_option_lists_that_options_keys(tmp_path, weight, vocab, hint):
    assert hint in load_error(recipe(tmp_path, MIX % (weight, vocab)))


def test_a_misspelt_key_at_a_stages_top_still_lists_the_stages_options(tmp_path):
    assert "(options of 'gopher_quality': " in load_error(recipe(tmp_path, "  - {stage: gopher_quality, min_wrds: 5}\n"))


def test_yamls_no_read_as_false_says_to_quote_it(tmp_path):
    message = load_error(recipe(tmp_path, "  - {stage: language, languages: [en, no]}\n"))
    assert "languages[1]: Input should be a valid string (got False)" in message
    assert "quote it ('no')" in message


@pytest.mark.parametrize("where", ["output", "paths"])
def test_an_environment_variable_in_a_path_is_refused_not_taken_literally(tmp_path, monkeypatch, where):
    monkeypatch.setenv("TM_TEST_ROOT", str(tmp_path))
    if where == "output":
        path = recipe(tmp_path, output="$TM_TEST_ROOT/run")
    else:
        path = recipe(tmp_path)
        path.write_text(path.read_text().replace(f"'{tmp_path}/in/cc/'", "'${TM_TEST_ROOT}/in/cc/'"))
    message = load_error(path)
    assert f"environment variables are not expanded in a recipe ($TM_TEST_ROOT is '{tmp_path}' here)" in message
    assert not (Path.cwd() / "$TM_TEST_ROOT").exists()


def test_a_home_directory_tilde_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_recipe(recipe(tmp_path, output="~/run")).output == str(tmp_path / "run")


def test_an_export_inside_an_input_is_refused_at_load(tmp_path):
    message = load_error(recipe(tmp_path, top=f"export: {{to: {tmp_path / 'in' / 'cc' / 'export'}}}\n"))
    assert "export.to" in message and "is inside the input of source 'cc'" in message


def test_an_export_over_a_folder_of_other_data_is_refused_at_load(tmp_path):
    lake = tmp_path / "lake"
    (lake / "data" / "2023").mkdir(parents=True)
    (lake / "data" / "2023" / "events.parquet").write_bytes(b"PAR1")
    message = load_error(recipe(tmp_path, top=f"export: {{to: {lake}}}\n"))
    assert f"export.to {lake}: {lake}/data/ holds files that are no earlier export" in message
    assert (lake / "data" / "2023" / "events.parquet").exists()


def test_a_custom_stage_module_failing_at_import_is_one_line_naming_where(tmp_path):
    pkg = tmp_path / "mystages_boom"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "boom.py").write_text("from pipeline.stage import Filter\nRATIO = 1 / 0\n\n\nclass F(Filter):\n    pass\n")
    path = recipe(tmp_path, "  - stage: mystages_boom.boom:F\n")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(path)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == (f"error: {path}: stages[0].stage: importing stage module 'mystages_boom.boom' "
                                   f"failed: ZeroDivisionError: division by zero (at {pkg / 'boom.py'}:2)")


def test_an_output_bucket_without_credentials_says_so(tmp_path):
    """Not that the bucket does not exist (s3fs's exists() is False for any error)."""
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: t
        output: s3://tokenmill-no-creds/run
        sources:
          - {{name: cc, format: text, paths: ['{REPO / "README.md"}']}}
        stages:
          - stage: gopher_quality
        """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_CONFIG_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(path)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot reach its bucket 'tokenmill-no-creds': NoCredentialsError" in proc.stderr, proc.stderr


@pytest.mark.parametrize("option", ["  - stage: language\n    languages:\n",
                                    "  - stage: gopher_quality\n    min_words:\n"])
def test_a_stage_option_left_without_a_value_is_refused(tmp_path, option):
    """Blank is null, and null turns a rule off (the language filter annotates only): the run
    exited 0 having removed nothing. Written `null`, it is taken as meant."""
    path = recipe(tmp_path, option)
    key = option.split("\n")[1].strip().rstrip(":")
    assert load_error(path) == (f"{path}:7: '{key}' has no value; write one, "
                                f"or `null` for none (a rule turned off)")
    path.write_text(path.read_text().replace(f"{key}:\n", f"{key}: null\n"))
    load_recipe(path)


@pytest.mark.parametrize("entry, has", [("  - Stage: gopher_quality\n", "Stage"),
                                        ("  - gopher_quality: {min_words: 5}\n", "gopher_quality")])
def test_a_stage_entry_without_the_stage_key_says_what_it_has(tmp_path, entry, has):
    assert load_error(recipe(tmp_path, entry)).endswith(
        f"stages[0]: no 'stage' key (it has: {has}); write `- stage: NAME` and the stage's options beside it")


def test_a_minimum_above_its_maximum_is_refused(tmp_path):
    message = load_error(recipe(tmp_path, "  - {stage: gopher_quality, min_avg_word_length: 10, "
                                          "max_avg_word_length: 3}\n"))
    assert message.endswith("min_avg_word_length 10 is above max_avg_word_length 3: every document would be removed")


@pytest.mark.parametrize("value, plain", [("1.5e5", "150000"), ("1e3", "1000")])
def test_a_number_yaml_reads_as_text_says_how_to_write_it(tmp_path, value, plain):
    """`1.5e5` is text to YAML 1.1: mix's target_tokens said pydantic's union internals
    ('target_tokens.constrained-int: ...; target_tokens.ChinchillaTarget: ...')."""
    stages = (MIX % ("weight", "vocab_size")).replace("  - stage: mix\n", f"  - stage: mix\n    target_tokens: {value}\n")
    message = load_error(recipe(tmp_path, stages))
    assert message.endswith(f"stages[0] (mix).target_tokens: expected a number; YAML reads {value} as text (an "
                            f"exponent needs a dot and a sign: 1.5e+5), so write {plain} (got '{value}')")


def test_an_output_that_is_a_file_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    assert load_error(recipe(tmp_path, output=str(tmp_path / "notes.txt"))).endswith(
        f"output '{tmp_path / 'notes.txt'}' is a file, not a folder; name a folder (new, empty, or an earlier run)")
