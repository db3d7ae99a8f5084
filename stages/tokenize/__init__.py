"""Tokenization: byte-level BPE training/loading, encoding through Ray, token shards + manifest."""
from stages.tokenize.stage import Tokenize

__all__ = ["Tokenize"]
