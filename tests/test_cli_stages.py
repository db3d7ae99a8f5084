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


def test_custom_stages_and_readers_are_listed_when_named(tmp_path, user_package):
    """The listing had no way to show a user's own stages (the README says it lists every stage):
    a module named is imported (the stages it registers), module:Class lists that class."""
    import os
    user_package("listpkg", {"mod": '''
        from pydantic import Field
        from pipeline import Filter, register
        from pipeline.readers import Reader


        @register("listed_min_len")
        class MinLen(Filter):
            """Removes short documents."""
            min_chars: int = Field(5, description="fewest characters kept")


        class Plain(Reader):
            """One document per file."""
            lowercase: bool = Field(False, description="lower-case the text")
        '''})
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"}
    r = subprocess.run([sys.executable, "-m", "pipeline", "stages", "listpkg.mod", "listpkg.mod:Plain"], cwd=REPO,
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "listed_min_len  [map]  Removes short documents.\n" in r.stdout
    assert "    min_chars: int = 5  — fewest characters kept" in r.stdout
    assert "listpkg.mod:Plain  [reader]  One document per file.\n" in r.stdout
    bad = subprocess.run([sys.executable, "-m", "pipeline", "stages", "listpkg.nosuch"], cwd=REPO,
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error: stages listpkg.nosuch: "
                                                                 "ModuleNotFoundError"), bad.stderr
