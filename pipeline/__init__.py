"""tokenmill: from raw web crawls to training-ready token shards.

Public API for custom stages::

    from pipeline import Stage, Filter, GlobalStage, Result, register, run_recipe, read_documents
"""
from pipeline.documents import DOC_SCHEMA, empty_documents
from pipeline.stage import Filter, GlobalStage, Result, Stage
from pipeline.registry import register, resolve_stage
from pipeline.shards import read_documents



def run_recipe(recipe, output=None, ray_address=None, quiet=False) -> dict:
    """Run a recipe (a path, a dict as its YAML would give, or a Recipe) on Ray and return its
    stats (see pipeline.runner)."""
    from pipeline.runner import run_recipe as _run
    return _run(recipe, output=output, ray_address=ray_address, quiet=quiet)


__all__ = [
    "run_recipe",
    "DOC_SCHEMA", "empty_documents", "Stage", "Filter", "GlobalStage", "Result",
    "register", "resolve_stage", "read_documents",
]
