"""recipes/multisource.yaml end to end on the bundled sample: every source reaches the tokens."""
import json
from pathlib import Path

import pytest
import yaml

from pipeline.recipe import parse_recipe
from pipeline.runner import run_recipe

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.long(seconds=24)
def test_multisource_recipe_end_to_end(tmp_path, ray_local, monkeypatch):
    monkeypatch.chdir(REPO)                       # the recipe's paths are relative to the checkout
    data = yaml.safe_load((REPO / "recipes" / "multisource.yaml").read_text())
    data["output"] = str(tmp_path / "run")
    recipe = parse_recipe(data, "recipes/multisource.yaml")
    stats = run_recipe(recipe, quiet=True)
    mix = next(s for s in stats["stages"] if s["id"] == "mix")
    tokens = {k.split("/", 1)[1]: v for k, v in mix["counters"].items() if k.startswith("tokens/")}
    # every source of the recipe is in the mixture, near its requested share
    assert set(tokens) == {s.name for s in recipe.sources} and all(v > 0 for v in tokens.values()), tokens
    shares = mix["info"]["mix"]["phases"][0]["realised_weights"]
    for name, want in mix["info"]["mix"]["phases"][0]["weights"].items():
        assert abs(shares[name] - want) < 0.5 * want + 0.01, (name, shares[name], want)
    # each source kept its own chain: code was judged by code_filter, web by the quality filters
    by_id = {s["id"]: s for s in stats["stages"]}
    assert any(r.startswith("code_filter/") for r in by_id["code_filter"]["removed"])
    assert by_id["gopher_quality"]["removed"] and not any(
        "wikipedia" in k for k in by_id["gopher_quality"].get("removed_by_language", {}))
    # the report shows tokens per source and documents per language
    md = (tmp_path / "run" / "report.md").read_text()
    assert "## Languages" in md and "| zh |" in md and "| en |" in md
    assert "| language (mix) | tokens |" in md          # tokens per language, beside tokens per source
    for name in tokens:
        assert f"| {name} |" in md
    manifest = json.loads(next((tmp_path / "run").rglob("manifest.json")).read_text())
    assert manifest
