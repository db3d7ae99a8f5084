"""(Runs in the NeMo Curator env, .bench/nemo.) NeMo Curator 1.4's Gopher heuristic filters.

Request {"mode": "judge", "texts_path": jsonl of {"text"}, "repeats": n}: per rule set (Gopher
quality, Gopher repetition: the DocumentFilters NeMo Curator ships for the Gopher paper's rules,
at their defaults, which are the paper's thresholds) the seconds of each timed repeat after a
warm-up, and per document the first rule that removes it (null = kept). One process, one core.

Request {"mode": "pipeline", "input_dir": *.jsonl, "output_dir", "cpus"}: its text pipeline on
Ray (JsonlReader -> ScoreFilter per rule -> JsonlWriter, RayDataExecutor), wall seconds from
before Ray starts to the end, and the documents written.
"""
import json
import sys
import time
from pathlib import Path


def rule_sets():
    from nemo_curator.stages.text.filters.heuristic.repetition import (
        RepeatedLinesByCharFilter, RepeatedLinesFilter, RepeatedParagraphsByCharFilter, RepeatedParagraphsFilter,
        RepeatingDuplicateNGramsFilter, RepeatingTopNGramsFilter)
    from nemo_curator.stages.text.filters.heuristic.string import (
        BulletsFilter, CommonEnglishWordsFilter, EllipsisFilter, MeanWordLengthFilter, SymbolsToWordsFilter,
        WordCountFilter, WordsWithoutAlphabetsFilter)
    quality = {"word_count": WordCountFilter(), "mean_word_length": MeanWordLengthFilter(),
               "symbols_to_words": SymbolsToWordsFilter(), "bullets": BulletsFilter(), "ellipsis": EllipsisFilter(),
               "words_without_alphabets": WordsWithoutAlphabetsFilter(),
               "common_english_words": CommonEnglishWordsFilter()}
    repetition = {"repeated_lines": RepeatedLinesFilter(), "repeated_paragraphs": RepeatedParagraphsFilter(),
                  "repeated_lines_char": RepeatedLinesByCharFilter(),
                  "repeated_paragraphs_char": RepeatedParagraphsByCharFilter(),
                  **{f"top_{n}_gram": RepeatingTopNGramsFilter(n=n, max_repeating_ngram_ratio=r)
                     for n, r in ((2, 0.2), (3, 0.18), (4, 0.16))},
                  **{f"dup_{n}_gram": RepeatingDuplicateNGramsFilter(n=n, max_repeating_duplicate_ngram_ratio=r)
                     for n, r in ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))}}
    return {"gopher_quality": quality, "gopher_repetition": repetition}


def verdicts(rules: dict, texts: list[str]) -> list:
    """Every rule scores every document (as a ScoreFilter chain over a batch does, no early exit
    across stages); the verdict is the first rule that rejects."""
    out = []
    for t in texts:
        why = None
        for name, f in rules.items():
            if not f.keep_document(f.score_document(t)) and why is None:
                why = name
        out.append(why)
    return out


def judge(req):
    with open(req["texts_path"]) as f:
        texts = [json.loads(line)["text"] for line in f]
    out = {}
    for name, rules in rule_sets().items():
        result = verdicts(rules, texts)          # warm-up and the verdicts
        secs = []
        for _ in range(req.get("repeats", 1)):
            t = time.perf_counter()
            verdicts(rules, texts)
            secs.append(time.perf_counter() - t)
        out[name] = {"seconds": secs, "verdicts": result}
    return out


def pipeline(req):
    t = time.perf_counter()
    import ray
    from nemo_curator.backends.ray_data import RayDataExecutor
    from nemo_curator.pipeline import Pipeline
    from nemo_curator.stages.text.filters import ScoreFilter
    from nemo_curator.stages.text.io.reader import JsonlReader
    from nemo_curator.stages.text.io.writer import JsonlWriter
    ray.init(num_cpus=req.get("cpus", 2), include_dashboard=False, log_to_driver=False)
    stages = [JsonlReader(file_paths=req["input_dir"], files_per_partition=1)]
    for rules in rule_sets().values():
        stages += [ScoreFilter(f, text_field="text") for f in rules.values()]
    stages.append(JsonlWriter(path=req["output_dir"]))
    Pipeline(name="bench", stages=stages).run(RayDataExecutor())
    seconds = time.perf_counter() - t
    kept = sum(1 for p in Path(req["output_dir"]).glob("*.jsonl") for _ in open(p))
    return {"seconds": seconds, "kept": kept}


def main():
    req = json.loads(sys.stdin.read())
    print(json.dumps(judge(req) if req["mode"] == "judge" else pipeline(req)))


if __name__ == "__main__":
    main()
