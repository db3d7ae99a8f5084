"""Clean reference texts and junk texts for calibrating the quality filters (`python -m pipeline calibrate`).

Everything is built at run time from the real files in `../shared/data` (nothing is copied into
the repository). Each item is a `Sample(set, kind, profile_hint, text, title, url, id)`;
`set` is "clean" or "junk". `split(id)` puts a stable third of every kind into a held-out
part that thresholds are never chosen on, so the report can say how they do on text they
were not fitted to.

Clean (as a reader would hand it to the filters):
- en news: the 60 scrapinghub gold `articleBody` texts (human-annotated main text);
- en encyclopedia: enwiki dump pages and wtf_wikipedia wikitext articles, wikitext -> text
  with mwparserfromhell's `strip_code` (templates, refs, tables and files dropped);
- en books: Gutenberg books after header stripping, cut into ~40-paragraph documents with
  hard line wraps undone (a book reader does the same);
- en Q&A: coffee.stackexchange threads (question + answers, HTML -> text);
- zh-Hans news/encyclopedia: magic-html article gold text, newspaper4k expected text,
  CLUECorpusSmall documents of >= 200 characters (news, wiki, Q&A; unlabelled, a few ads);
- zh-Hant: Taiwanese news pages (twnews, main text by trafilatura), magic-html zh-Hant gold,
  the Chinese classics, and CLUE documents converted with OpenCC s2t (derived);
- ja: magic-html and newspaper4k Japanese gold texts; Lingua sentences in groups of 10 for
  every language (zh, ja, en among them).
Junk:
- the boilerplate of real pages: the whole page's text (resiliparse, no main-content
  detection) minus every line that is in the human gold text - menus, footers, related links;
- the low-quality CC page in shared/data/quality;
- spam made honestly from the block lists: keyword-stuffed pages (phrases of one category
  between filler sentences, with a title of two phrases and a spam host), hijacked pages (a spam
  title and host written by hand over a real clean article of the same language), for Chinese
  and English gambling, lottery, porn, fake-invoice, stock-tip and pharmacy spam.
"""
from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import json
import lzma
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HELD_OUT_SHARE = 1 / 3


@dataclass(frozen=True)
class Sample:
    set: str            # "clean" or "junk"
    kind: str           # e.g. "zh news (gold)"
    profile: str        # the profile the text is written for: zh-Hans, zh-Hant, ja, en
    text: str
    id: str
    title: str | None = None
    url: str | None = None

    @property
    def held_out(self) -> bool:
        return split(self.id) == "held_out"


def split(sample_id: str) -> str:
    """'dev' or 'held_out', stable for an id (sha1, not Python's salted hash)."""
    h = int(hashlib.sha1(sample_id.encode("utf-8")).hexdigest()[:8], 16) / 2**32
    return "held_out" if h < HELD_OUT_SHARE else "dev"


# -- clean ---------------------------------------------------------------------------------------
_DROPPED_TAGS = ("ref", "gallery", "table")


def _drop_tags(code) -> None:
    """`code` without its ref, gallery and table tags, at any depth: one walk down the tree, where
    Wikicode.remove per tag searched the whole tree each time (18 of the 28 s the clean references
    took to build)."""
    from mwparserfromhell.nodes import Tag
    keep = []
    for node in code.nodes:
        if isinstance(node, Tag) and str(node.tag).lower() in _DROPPED_TAGS:
            continue
        for child in node.__children__():
            _drop_tags(child)
        keep.append(node)
    code.nodes[:] = keep


def _wikitext_to_text(wikitext: str) -> str:
    import mwparserfromhell
    code = mwparserfromhell.parse(wikitext)
    _drop_tags(code)
    text = code.strip_code(normalize=True, collapse=True)
    text = re.sub(r"(?m)^\s*(File|Image|Category|Thumb)[:|].*$", "", text)
    paras = [p.strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paras if p)


def english_wikipedia(shared: Path) -> list[Sample]:
    out = []
    ns = "{http://www.mediawiki.org/xml/export-0.10/}"
    for name in ("enwiki-pages-articles-sample.xml.bz2", "enwiki-table-markup.xml.bz2"):
        with bz2.open(shared / "sources/wiki" / name) as f:
            for _, el in ET.iterparse(f):
                if el.tag != ns + "page":
                    continue
                if el.findtext(ns + "ns") == "0" and el.find(ns + "redirect") is None:
                    title = el.findtext(ns + "title") or ""
                    text = _wikitext_to_text(el.findtext(f"{ns}revision/{ns}text") or "")
                    if len(text) >= 500:
                        out.append(Sample("clean", "en wikipedia", "en", text, f"enwiki:{title}", title))
                el.clear()
    for path in sorted((shared / "sources/wiki/wikitext").glob("*.txt.gz")):
        text = _wikitext_to_text(gzip.open(path, "rt", encoding="utf-8").read())
        if len(text) >= 500:
            out.append(Sample("clean", "en wikipedia", "en", text, f"wikitext:{path.name}"))
    return out


def _unwrap(paragraph: str) -> str:
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


def gutenberg_books(shared: Path, paras_per_doc: int = 40) -> list[Sample]:
    out = []
    for path in sorted((shared / "sources/books/gutenberg").glob("*.clean.txt.gz")):
        text = gzip.open(path, "rt", encoding="utf-8", errors="replace").read().replace("\r\n", "\n")
        paras = [_unwrap(p) for p in re.split(r"\n\s*\n", text) if p.strip()]
        for k in range(0, len(paras), paras_per_doc):
            chunk = "\n\n".join(paras[k:k + paras_per_doc])
            if len(chunk) >= 500:
                out.append(Sample("clean", "en books", "en", chunk, f"{path.name}:{k}"))
    return out


def _html_to_text(fragment: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    return extract_plain_text(fragment, main_content=False, alt_texts=False, links=False).strip()


def stackexchange_threads(shared: Path) -> list[Sample]:
    path = shared / "sources/qa/coffee.stackexchange.com/Posts.xml.gz"
    questions: dict[str, tuple[str, list[str]]] = {}
    answers: list[tuple[str, str]] = []
    with gzip.open(path) as f:
        for _, el in ET.iterparse(f):
            if el.tag != "row":
                continue
            body = _html_to_text(el.get("Body") or "")
            if el.get("PostTypeId") == "1":
                questions[el.get("Id")] = (el.get("Title") or "", [body])
            elif el.get("PostTypeId") == "2":
                answers.append((el.get("ParentId"), body))
            el.clear()
    for parent, body in answers:
        if parent in questions:
            questions[parent][1].append(body)
    return [Sample("clean", "en Q&A", "en", "\n\n".join(parts), f"coffee:{qid}", title)
            for qid, (title, parts) in sorted(questions.items()) if sum(map(len, parts)) >= 300]


def english_news(shared: Path) -> list[Sample]:
    gt = json.loads((shared / "html/scrapinghub/ground-truth.json").read_text())
    return [Sample("clean", "en news (gold)", "en", v["articleBody"], f"scrapinghub:{k}", url=v.get("url"))
            for k, v in sorted(gt.items())]


def magic_html_gold(shared: Path) -> list[Sample]:
    base = shared / "zh/html/magic_html"
    gt = json.loads((base / "ground-truth.json").read_text())
    with open(base / "pages.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["type"] == "article"]
    return [Sample("clean", f"{r['script']} articles (gold)", r["script"], gt[r["id"]]["content"],
                   f"magic:{r['id']}", url=r["url"]) for r in rows]


def newspaper4k_gold(shared: Path) -> list[Sample]:
    out = []
    for path in sorted((shared / "zh/html/newspaper4k/txt").glob("*.txt")):
        profile = "ja" if path.name.startswith("japanese") else "zh-Hans"
        out.append(Sample("clean", f"{profile} articles (gold)", profile, path.read_text(encoding="utf-8"),
                          f"n4k:{path.name}"))
    return out


def clue_documents(shared: Path, min_chars: int = 200) -> list[str]:
    with gzip.open(shared / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        return [line.strip() for line in f if len(line.strip()) >= min_chars]


def chinese_web_text(shared: Path) -> list[Sample]:
    from stages.chinese import opencc_converter
    docs = clue_documents(shared)
    out = [Sample("clean", "zh-Hans CLUE web text", "zh-Hans", t, f"clue:{i}") for i, t in enumerate(docs)]
    s2t = opencc_converter("s2t")
    # Every fourth document, converted: Traditional text of the same kinds (derived, labelled so).
    out += [Sample("clean", "zh-Hant CLUE via OpenCC s2t", "zh-Hant", s2t.convert(t), f"clue-s2t:{i}")
            for i, t in enumerate(docs) if i % 4 == 0]
    return out


def taiwan_news(shared: Path) -> list[Sample]:
    import trafilatura
    out = []
    for path in sorted((shared / "zh/html/twnews/samples").glob("*.html.xz")):
        page = lzma.open(path).read()
        text = trafilatura.extract(page.decode("utf-8", errors="replace"), favor_precision=True) or ""
        if text:
            out.append(Sample("clean", "zh-Hant news (trafilatura)", "zh-Hant", text, f"twnews:{path.name}"))
    return out


def chinese_classics(shared: Path) -> list[Sample]:
    out = []
    for path in sorted((shared / "sources/books/zh_classics").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for k, ch in enumerate(data if isinstance(data, list) else [data]):
            text = "\n".join(ch.get("paragraphs", []))
            if len(text) >= 200:
                out.append(Sample("clean", "zh classics", "zh-Hant", text, f"classics:{path.stem}:{k}"))
    return out


_LINGUA_PROFILES = {"en": "en", "zh": "zh-Hans", "ja": "ja"}


def lingua_groups(shared: Path, per_doc: int = 10) -> list[Sample]:
    by_lang: dict[str, list[str]] = {}
    for name in ("text/multilingual_sentences.tsv", "langid/lingua_sentences_sample.tsv"):
        with open(shared / name, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row["lang_iso639_1"] in _LINGUA_PROFILES:
                    by_lang.setdefault(row["lang_iso639_1"], []).append(row["text"].strip())
    out = []
    for lang, sents in sorted(by_lang.items()):
        sep = "" if lang in ("zh", "ja") else " "
        for k in range(0, len(sents) - per_doc + 1, per_doc):
            out.append(Sample("clean", f"{lang} Lingua sentences x{per_doc}", _LINGUA_PROFILES[lang],
                              sep.join(sents[k:k + per_doc]), f"lingua:{lang}:{k}"))
    return out


def clean_references(shared: Path = SHARED) -> list[Sample]:
    return (english_news(shared) + english_wikipedia(shared) + gutenberg_books(shared)
            + stackexchange_threads(shared) + magic_html_gold(shared) + newspaper4k_gold(shared)
            + chinese_web_text(shared) + taiwan_news(shared) + chinese_classics(shared)
            + lingua_groups(shared))


# -- junk ----------------------------------------------------------------------------------------
def _norm(line: str) -> str:
    return re.sub(r"\s+", "", line)


def _page_text(raw: bytes) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    return extract_plain_text(bytes_to_str(raw, detect_encoding(raw)), main_content=False,
                              alt_texts=False, links=False, list_bullets=True)


def boilerplate(page: bytes, gold: str) -> str:
    """The page's text without the lines of its gold main text (and their fragments)."""
    gold_norm = _norm(gold)
    kept = []
    for line in _page_text(page).splitlines():
        n = _norm(line)
        if n and n not in gold_norm:
            kept.append(line.strip())
    return "\n".join(kept)


def boilerplate_pages(shared: Path) -> list[Sample]:
    out = []
    gt = json.loads((shared / "html/scrapinghub/ground-truth.json").read_text())
    for k, v in sorted(gt.items()):
        text = boilerplate(gzip.open(shared / f"html/scrapinghub/html/{k}.html.gz").read(), v["articleBody"])
        if len(text) >= 100:
            out.append(Sample("junk", "en page boilerplate", "en", text, f"bp:sh:{k}", url=v.get("url")))
    base = shared / "zh/html/magic_html"
    mgt = json.loads((base / "ground-truth.json").read_text())
    with open(base / "pages.tsv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            text = boilerplate(gzip.open(base / f"html/{r['id']}.html.gz").read(), mgt[r["id"]]["content"])
            if len(text) >= 50:
                out.append(Sample("junk", f"{r['script']} page boilerplate", r["script"], text,
                                  f"bp:magic:{r['id']}", url=r["url"]))
    return out


def low_quality_cc(shared: Path) -> list[Sample]:
    return [Sample("junk", "en low-quality CC page", "en",
                   (shared / "quality/low_quality_cc.txt").read_text(encoding="utf-8", errors="replace"),
                   "quality:low_quality_cc")]


def _phrases(list_name: str) -> list[str]:
    from stages.spam import LIST_DIR
    from stages.spam_phrases import read_phrase_file
    return [p for p, _ in read_phrase_file(LIST_DIR / f"{list_name}.txt") if not p.startswith("url:")]


# Filler around stuffed keywords: ordinary sentences, as link farms paste them.
_FILLER = {
    "zh": ["欢迎访问本站", "最新优惠活动火热进行中", "点击进入官方网站", "客服在线为您服务", "手机版下载",
           "新用户专享福利", "安全稳定信誉保证", "立即体验"],
    "en": ["Welcome to the best site", "Click here to start", "Join thousands of happy players today",
           "Fast and secure", "Mobile friendly", "Sign up now and get your reward", "Top rated in 2024"],
}
_STUFF_LISTS = {"zh": ["zh_gambling", "zh_lottery", "zh_porn", "zh_fake_invoice", "zh_stock_tips"],
                "en": ["en_gambling", "en_porn", "en_pharma"]}


def stuffed_pages(seed: int = 17, per_list: int = 6) -> list[Sample]:
    rng = random.Random(seed)
    out = []
    for lang, lists in _STUFF_LISTS.items():
        for name in lists:
            phrases = _phrases(name)
            for k in range(per_list):
                lines = []
                for _ in range(rng.randint(6, 14)):
                    words = rng.sample(phrases, min(len(phrases), rng.randint(1, 3)))
                    filler = rng.choice(_FILLER[lang])
                    lines.append(("，" if lang == "zh" else ", ").join(words + [filler])
                                 + ("！" if lang == "zh" else "!"))
                title = ("|" if lang == "en" else "-").join(rng.sample(phrases, 2))
                profile = "zh-Hans" if lang == "zh" else "en"
                out.append(Sample("junk", f"{lang} keyword-stuffed ({name})", profile, "\n".join(lines),
                                  f"stuffed:{name}:{k}", title=title,
                                  url=f"http://www.{name.replace('_', '-')}{k}.example/index.html"))
    return out


_HIJACK_TITLES = {
    "zh-Hans": ["澳门新葡京娱乐场-官方网站", "皇冠体育投注平台|首页", "bet365体育在线-注册送彩金",
                "真人百家乐官网_首存优惠", "六合彩开奖结果查询-一肖一码", "午夜福利视频在线观看",
                "代开发票联系电话-各类发票", "免费荐股_牛股推荐", "澳门威尼斯人娱乐城官网"],
    "en": ["Online Casino - Free Spins No Deposit Bonus", "Best Sportsbook Betting Odds | Bet Now",
           "Free Porn Videos - XXX Sex Tube", "Buy Viagra Online Pharmacy Without Prescription",
           "Real Money Slots | Online Casino Bonus"],
}
_HIJACK_HOSTS = {"zh-Hans": ["www.xpj-casino888.example", "hg-sport.example", "bet365-zh.example",
                             "bjl-777.example", "lhc-kj.example", "av-fuli.example", "fapiao-dk.example",
                             "gupiao-tj.example", "wnsr-yule.example"],
                 "en": ["best-online-casino.example", "sportsbook-odds.example", "xxx-porn-tube.example",
                        "cheap-viagra-rx.example", "slots-realmoney.example"]}


def hijacked_pages(clean: list[Sample]) -> list[Sample]:
    """A spam title and URL over an ordinary article body (SEO hijacking), one per title."""
    out = []
    for profile, titles in _HIJACK_TITLES.items():
        bodies = [s for s in clean if s.profile == profile and "news" in s.kind or
                  (s.profile == profile and "articles" in s.kind)]
        for k, title in enumerate(titles):
            body = bodies[(7 * k + 3) % len(bodies)]
            out.append(Sample("junk", f"{profile} hijacked page (spam title over article)", profile,
                              body.text, f"hijack:{profile}:{k}", title=title,
                              url=f"http://{_HIJACK_HOSTS[profile][k]}/news/{k}.html"))
    return out


def junk_set(shared: Path = SHARED, clean: list[Sample] | None = None) -> list[Sample]:
    clean = clean if clean is not None else clean_references(shared)
    return boilerplate_pages(shared) + low_quality_cc(shared) + stuffed_pages() + hijacked_pages(clean)


def load(shared: Path = SHARED) -> tuple[list[Sample], list[Sample]]:
    if not shared.is_dir():
        raise FileNotFoundError(f"calibrate: shared data directory {shared} not found (use --data)")
    clean = clean_references(shared)
    return clean, junk_set(shared, clean)
