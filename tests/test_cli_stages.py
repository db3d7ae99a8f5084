"""`python -m pipeline stages`: every option a recipe can write, readable."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _listing() -> str:
    r = subprocess.run([sys.executable, "-m", "pipeline", "stages"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_nested_options_types_and_whole_summaries_are_listed():
    out = _listing()
    mix = out[out.index("\nmix  [global]"):out.index("\n", out.index("tokenizer:", out.index("\nmix  [global]")))]
    # the options of the models a field holds: a source's mix settings, a phase, a Chinchilla target
    for nested in ("SourceMix:", "weight:", "max_epochs:", "Phase:", "share:", "ChinchillaTarget:",
                   "chinchilla_params:"):
        assert nested in mix, nested
    # types as a recipe author reads them, constraints included, not typing's repr
    assert "target_tokens: int > 0 | ChinchillaTarget | None = null" in mix
    assert "FieldInfo" not in out and "Annotated[" not in out and "typing." not in out
    assert "vocab_size: int >= 300 <= 4194304 = 32000" in out
    # a summary is the docstring's first paragraph, not its first line cut mid-sentence
    extract = next(line for line in out.splitlines() if line.startswith("extract  [map]"))
    assert extract.endswith("columns."), extract


def test_recipe_keys_are_listed_with_descriptions():
    out = _listing()
    keys = out[out.index("\nRecipe keys:"):out.index("\nSource formats")]
    for key in ("seed:", "output:", "checkpoint:", "max_quarantine_share:", "RayConfig:", "executor:",
                "tasks_per_cpu:", "ExportConfig:", "apply_to"):
        assert key in keys, key
    options = [line for line in keys.splitlines() if line.startswith("    ") and ": " in line
               and not line.strip().endswith(":")]
    assert options and all(" — " in line for line in options), [o for o in options if " — " not in o]
    assert "path:" not in keys          # the recipe file's own path, set by the loader
