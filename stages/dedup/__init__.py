"""Deduplication stages: exact (whole text), near-duplicate (MinHash LSH + verification), lines."""
