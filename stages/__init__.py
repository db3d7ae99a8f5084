"""Built-in stages. A new stage is one module here and one line in REGISTRY."""

REGISTRY: dict[str, str] = {
    "exact_dedup": "stages.dedup.exact:ExactDedup",
    "minhash_dedup": "stages.dedup.fuzzy:MinHashDedup",
    "line_dedup": "stages.dedup.lines:LineDedup",
    "extract": "stages.extract:Extract",
    "quality_classifier": "stages.quality_classifier:QualityClassifier",
    "mix": "stages.mix:Mix",
    "tokenize": "stages.tokenize:Tokenize",
    "language": "stages.language:LanguageFilter",
    "chinese_clean": "stages.chinese:ChineseClean",
    "fix_mojibake": "stages.mojibake:FixMojibake",
    "spam_filter": "stages.spam:SpamFilter",
    "url_filter": "stages.url_filter:URLFilter",
    "pii": "stages.pii:PIIRedactor",
    "gopher_quality": "stages.gopher:GopherQuality",
    "gopher_repetition": "stages.gopher:GopherRepetition",
    "c4_quality": "stages.c4:C4Quality",
    "fineweb_quality": "stages.fineweb:FineWebQuality",
    "code_filter": "stages.code_filter:CodeFilter",
}

# CLI commands beyond run/validate/stages: `python -m pipeline <name> ...` -> cli_main(argv).
COMMANDS: dict[str, str] = {
    "train-classifier": "stages.quality_train:cli_main",
    "validate-shards": "stages.tokenize.manifest:cli_main",
    "calibrate": "stages.calibrate:cli_main",
}
