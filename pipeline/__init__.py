"""tokenmill: from raw web crawls to training-ready token shards.

Public API for custom stages::

    from pipeline import Stage, Filter, GlobalStage, Result, register
"""
from pipeline.documents import DOC_SCHEMA, empty_documents
from pipeline.stage import Filter, GlobalStage, Result, Stage
from pipeline.registry import register, resolve_stage

__all__ = [
    "DOC_SCHEMA", "empty_documents", "Stage", "Filter", "GlobalStage", "Result",
    "register", "resolve_stage",
]
