"""(Runs in the peer env.) datatrove 0.10's four heuristic filters on the given texts.

Request: {"texts_path": jsonl with {"text"}, "repeats": n}. Answer: per filter the seconds of each
timed repeat (after one warm-up) and the per-document verdict (null = kept, else the reason)."""
import json
import sys
import time

from datatrove.data import Document
from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                        GopherRepetitionFilter)


def verdicts(flt, texts):
    out = []
    for i, t in enumerate(texts):
        r = flt.filter(Document(text=t, id=str(i), metadata={"language": "en"}))
        ok = r if isinstance(r, bool) else r[0]
        out.append(None if ok else (r[1] if isinstance(r, tuple) else "removed"))
    return out


def main():
    req = json.loads(sys.stdin.read())
    with open(req["texts_path"]) as f:
        texts = [json.loads(line)["text"] for line in f]
    filters = {"gopher_quality": GopherQualityFilter(), "gopher_repetition": GopherRepetitionFilter(),
               "c4_quality": C4QualityFilter(), "fineweb_quality": FineWebQualityFilter()}
    out = {}
    for name, flt in filters.items():
        result = verdicts(flt, texts)          # warm-up (loads tokenizers) and the verdicts
        secs = []
        for _ in range(req.get("repeats", 1)):
            t = time.perf_counter()
            verdicts(flt, texts)
            secs.append(time.perf_counter() - t)
        out[name] = {"seconds": secs, "verdicts": result}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
