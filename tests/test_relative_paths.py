"""Relative input paths are read from the current directory; a miss says which one."""
import pytest

from pipeline.checks import list_inputs
from pipeline.recipe import RecipeError, parse_recipe


def test_a_relative_path_that_matches_nothing_names_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text('{"text": "x"}\n')
    r = parse_recipe({"name": "t", "output": str(tmp_path / "run"),
                      "sources": [{"name": "web", "format": "jsonl", "paths": ["data/*.jsonl"]}]})
    monkeypatch.chdir(tmp_path)
    assert list_inputs(r)["web"] == [str(tmp_path / "data" / "a.jsonl")]
    monkeypatch.chdir(tmp_path / "data")
    with pytest.raises(RecipeError, match=rf"no file matches 'data/\*\.jsonl' \(relative to the current directory "
                                          rf"{tmp_path / 'data'}\)"):
        list_inputs(r)
    # absolute paths say nothing about it
    r = parse_recipe({"name": "t", "output": str(tmp_path / "run"),
                      "sources": [{"name": "web", "format": "jsonl", "paths": [str(tmp_path / "nope.jsonl")]}]})
    with pytest.raises(RecipeError, match=r"file not found: '[^']+nope.jsonl'$"):
        list_inputs(r)
