"""Training-side readers of a tokenize-stage output directory (manifest.json + token shards).

    from pipeline.loaders import TokenShards, NumpyBatchIterator     # NumPy / JAX, no torch
    from pipeline.loaders.torch import TokenMapDataset, TokenIterableDataset

Nothing here imports Ray, JAX or (outside `pipeline.loaders.torch`) torch.
"""
from pipeline.loaders.numpy_iter import ExampleOrder, NumpyBatchIterator, TokenShards

__all__ = ["TokenShards", "ExampleOrder", "NumpyBatchIterator"]
