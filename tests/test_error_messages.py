"""User-facing error messages: one line naming the file, the key at fault and what was expected.

Recipes are parsed from dicts (no inputs are read); `calibrate` is tested at its argument and recipe
checks, which come before any sample is built or measured.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.recipe import RecipeError, parse_recipe
from stages.calibrate import REPO, CalibrateError, cli_main, parse_overrides

DOCS = {"name": "docs", "format": "jsonl", "paths": ["/tmp/none/a.jsonl"]}


def error_of(sources=(DOCS,), stages=()) -> str:
    data = {"name": "t", "output": "/tmp/none/out", "sources": list(sources), "stages": list(stages)}
    with pytest.raises(RecipeError) as e:
        parse_recipe(data, "r.yaml")
    return str(e.value)


# -- 1. a value inside a filter's `profiles:` ---------------------------------------------------
def test_a_wrong_value_in_profiles_names_the_profile_and_key():
    msg = error_of(stages=[{"stage": "gopher_quality", "profiles": {"zh-Hans": {"min_words": "lots"}}}])
    assert msg == ("r.yaml: stages[0] (gopher_quality).profiles.zh-Hans.min_words: Input should be a valid "
                   "integer, unable to parse string as an integer (got 'lots')")


def test_unknown_profiles_and_keys_in_profiles_are_still_named():
    msg = error_of(stages=[{"stage": "gopher_quality", "profiles": {"xx": {"min_words": 3}}}])
    assert msg.startswith("r.yaml: stages[0] (gopher_quality): unknown profile 'xx'; known: en, ")
    msg = error_of(stages=[{"stage": "gopher_quality", "profiles": {"zh-Hans": {"min_wrds": 3}}}])
    assert msg.startswith("r.yaml: stages[0] (gopher_quality): profile 'zh-Hans' sets ['min_wrds'], which this "
                          "stage does not have")


# -- 2. a source's reader options -----------------------------------------------------------------
def test_a_source_option_error_names_the_source():
    web = {"name": "web", "format": "warc", "paths": ["/tmp/none/x.warc.gz"], "shard_doc": 5}
    msg = error_of(sources=[web])
    assert msg.startswith("r.yaml: sources[0] (web).shard_doc: Extra inputs are not permitted (got 5)")
    assert "(options of a 'warc' source: " in msg


# -- 3. duplicate source names ------------------------------------------------------------------
def test_repeated_source_names_are_one_short_line():
    web = {"name": "web", "format": "warc", "paths": ["/tmp/none/x.warc.gz"]}
    msg = error_of(sources=[web, DOCS, web])
    assert msg == "r.yaml: sources: 'web' is the name of sources[0] and sources[2] (source names must be unique)"


# -- 4. the list of options: for an unknown key only ----------------------------------------------
def test_options_are_listed_for_an_unknown_key_not_for_a_wrong_value():
    wrong_type = error_of(stages=[{"stage": "gopher_quality", "min_words": "lots"}])
    assert wrong_type == ("r.yaml: stages[0] (gopher_quality).min_words: Input should be a valid integer, "
                          "unable to parse string as an integer (got 'lots')")
    typo = error_of(stages=[{"stage": "gopher_quality", "min_wrds": 3}])
    assert typo.startswith("r.yaml: stages[0] (gopher_quality).min_wrds: Extra inputs are not permitted (got 3) "
                           "(options of 'gopher_quality': ")
    source_type = error_of(sources=[{**DOCS, "text_field": 5}])
    assert source_type.startswith("r.yaml: sources[0] (docs).text_field: ") and "options of" not in source_type


# -- 5. `python -m pipeline calibrate`: input mistakes are one line and exit 2 ----------------------
@pytest.mark.parametrize("argv, expected", [
    (["--set", "xx.min_words=1"], "error: calibrate: --set xx.min_words: unknown profile 'xx'; known: en, "),
    (["--set", "zh-Hans.min_words=lots"], "error: calibrate: --set zh-Hans.min_words: Input should be a valid "
                                          "integer, unable to parse string as an integer (got 'lots')"),
    (["--set", "zh-Hans.min_wrds=1"], "error: calibrate: --set zh-Hans.min_wrds: no filter stage of "),
    (["--set", "zh-Hans.min_words"], "error: calibrate: --set 'zh-Hans.min_words': expected PROFILE.KEY=VALUE"),
    (["--set", "zh-Hans.min_words=["], "error: calibrate: --set 'zh-Hans.min_words=[': the value is not valid YAML"),
    (["--recipe", "/nonexistent/r.yaml"], "error: calibrate: --recipe /nonexistent/r.yaml: cannot read it: "),
    (["--out", "/nonexistent/r.md"], "error: calibrate: --out /nonexistent/r.md: no directory /nonexistent"),
])
def test_calibrate_input_mistakes_are_one_line_and_exit_2(argv, expected, tmp_path, capsys):
    # --data that does not exist: the arguments and the recipe must be refused before samples are built.
    assert cli_main([*argv, "--data", str(tmp_path / "no-data")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected) and err.count("\n") == 1 and "Traceback" not in err


def test_calibrate_bad_recipe_names_the_stage_key(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stages:\n  - stage: gopher_quality\n    profiles: {zh-Hans: {min_words: lots}}\n")
    assert cli_main(["--recipe", str(recipe), "--data", str(tmp_path / "no-data")]) == 2
    assert capsys.readouterr().err == (f"error: calibrate: {recipe}: stages[0] (gopher_quality).profiles.zh-Hans."
                                       f"min_words: Input should be a valid integer, unable to parse string as an "
                                       f"integer (got 'lots')\n")


def test_calibrate_missing_data_is_one_line(tmp_path, capsys):
    assert cli_main(["--data", str(tmp_path / "no-data")]) == 2
    assert capsys.readouterr().err.startswith(f"error: calibrate: --data {tmp_path / 'no-data'}: no such directory")


def test_parse_overrides_raises_calibrate_error():
    with pytest.raises(CalibrateError, match=r"expected PROFILE\.KEY=VALUE"):
        parse_overrides(["zh-Hans.min_words"])


def test_calibrate_command_exits_2_without_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pipeline", "calibrate", "--set", "xx.min_words=1",
                        "--data", str(tmp_path / "no-data")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("error: calibrate: --set xx.min_words: unknown profile 'xx'") and "Traceback" not in r.stderr
