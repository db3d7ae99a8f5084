"""Seeded damage campaign for the non-web source readers (the WARC reader has its own, test_ingest_fuzz).

Files are built at test time from the real samples in ../shared/data/sources (copied into a temp dir,
never written in place): a MediaWiki dump of a few pages, a Stack Exchange Posts.xml of a few threads,
JSONL rows (wikitext articles and Chinese classics, so cuts fall inside multi-byte UTF-8), Gutenberg
books, code files and LaTeX papers. A file is a list of segments (header, one per record, footer);
each case applies one to three damages:
- in the content: truncation at a random byte (inside an element, mid UTF-8 sequence), flipped
  bytes, inserted junk (random bytes, NULs, text, latin-1 or GBK bytes, a piece of another record),
  a region re-encoded as latin-1 or GBK, a duplicated record, a huge line, junk after the end, a
  BOM, CRLF line ends, an empty file;
- in compressed space (.gz/.bz2/.xz/.zst, one stream or several members): truncation, flipped
  bytes in the middle of a member, junk after the last member.

The oracle (the clean file is read first and must give documents with nothing quarantined):
1. The reader never raises (`read_source_file`, as the runner calls it).
2. A clean document whose records are all intact (their segments untouched, and wholly inside
   what the stdlib decompressor can still recover from the damaged file) comes out identical.
3. A clean document that does not come out at all is accounted for: the damaged reading has a
   quarantine item, or a counter the clean reading did not have grew. Nothing becomes silent
   empty output: a damaged file that yields no document yields a quarantine item or a counter.
4. Damage that keeps the content (BOM, CRLF for the XML and JSON formats) loses nothing.

Run a longer campaign by hand (seeds are per reader; a failure prints its damage log):
    SRCFUZZ_SEEDS=2000 python -m pytest -q tests/test_source_fuzz.py -k campaign
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import random
import re
import tarfile
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest
import zstandard

from pipeline.readers import Doc, Quarantined, ReadState, read_source_file
from pipeline.readers.decompress import FEED
from pipeline.recipe import SourceConfig

SOURCES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sources"
MAX_DOC = 200_000            # small enough that a "huge line" is over it


# -- compression ------------------------------------------------------------------------------
def compress(codec: str, data: bytes) -> bytes:
    if codec == ".gz":
        return gzip.compress(data, mtime=0)
    if codec == ".bz2":
        return bz2.compress(data, 1)
    if codec == ".xz":
        return lzma.compress(data)
    if codec == ".zst":
        return zstandard.ZstdCompressor(write_checksum=True).compress(data)   # as the zstd CLI writes
    return data


def recoverable(codec: str, data: bytes) -> bytes:
    """What the stdlib (zstandard) decoder gives of a damaged file, fed FEED compressed bytes at a
    time as the readers feed it, before it stops: the bytes a reader must still read. (What one
    feed decodes before its error is lost: damage may cost that much before it.)"""
    if not codec:
        return data
    out, pos = [], 0
    new = {".gz": lambda: zlib.decompressobj(wbits=31), ".bz2": bz2.BZ2Decompressor, ".xz": lzma.LZMADecompressor,
           ".zst": lambda: zstandard.ZstdDecompressor().decompressobj()}[codec]
    d = None
    while pos < len(data):
        d = d or new()
        piece = data[pos:pos + FEED]
        try:
            out.append(d.decompress(piece))
        except Exception:  # noqa: BLE001 - any decoder error ends what can be recovered
            break
        pos += len(piece)
        if d.eof:
            pos -= len(d.unused_data)
            d = None
    return b"".join(out)


# -- cases ------------------------------------------------------------------------------------
@dataclass
class Seg:
    raw: bytes
    rec: int | None = None       # record index (None: header, footer, junk)
    damaged: bool = False


@dataclass
class Case:
    segs: list[Seg]
    codec: str = ""
    log: list[str] = field(default_factory=list)
    members: int = 1
    keeps_content: bool = True   # only benign damage (BOM, CRLF) so far
    compressed_damage: bool = False

    def content(self) -> bytes:
        return b"".join(s.raw for s in self.segs)


JUNK_KINDS = ["random", "nul", "text", "latin1", "gbk", "record_piece", "xml_bits"]


def junk(rng: random.Random, case: Case) -> bytes:
    kind = rng.choice(JUNK_KINDS)
    n = rng.randint(1, 600)
    other = rng.choice(case.segs).raw or b"x"
    return {
        "random": lambda: rng.randbytes(n),
        "nul": lambda: bytes(n),
        "text": lambda: b"junk in the file " * rng.randint(1, 10),
        "latin1": lambda: "Café Müller, naïve façade ".encode("latin-1") * rng.randint(1, 5),
        "gbk": lambda: "中文编码的文字，不是统一码。".encode("gbk") * rng.randint(1, 5),
        "record_piece": lambda: other[rng.randrange(len(other)):][:rng.randint(1, 4000)],
        "xml_bits": lambda: rng.choice([b"<", b"&", b"</", b"<page>", b"]]>", b'"', b"<row ", b"/>", b"\x00"]),
    }[kind]()


def _locate(case: Case, pos: int) -> tuple[int, int]:
    """(segment index, offset inside it) of a content position."""
    for k, s in enumerate(case.segs):
        if pos < len(s.raw):
            return k, pos
        pos -= len(s.raw)
    return len(case.segs) - 1, len(case.segs[-1].raw)


CONTENT_DAMAGE = ["truncate", "flip", "insert", "reencode", "duplicate", "huge_line", "junk_tail", "bom", "crlf",
                  "empty"]
COMPRESSED_DAMAGE = ["ctruncate", "cflip", "cjunk_tail"]


def damage_content(rng: random.Random, case: Case, kind: str, glue: bool) -> None:
    """One damage to the segments. `glue`: junk inserted between records damages the next record too
    (JSONL: junk without a newline becomes part of the next line)."""
    segs = case.segs
    total = sum(len(s.raw) for s in segs)
    case.keeps_content = case.keeps_content and kind in ("bom", "crlf")
    if kind == "bom":
        if not segs[0].raw.startswith(b"\xef\xbb\xbf"):
            segs.insert(0, Seg(b"\xef\xbb\xbf"))
    elif kind == "crlf":
        for s in segs:
            s.raw = s.raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    elif kind == "empty":
        del segs[:]
        segs.append(Seg(b""))
    elif kind == "truncate" and total > 1:
        k, off = _locate(case, rng.randrange(1, total))
        segs[k].raw, segs[k].damaged = segs[k].raw[:off], True
        del segs[k + 1:]
        case.log.append(f"truncate@{k}:{off}")
        return
    elif kind == "flip" and total:
        k, off = _locate(case, rng.randrange(total))
        b = bytearray(segs[k].raw)
        for _ in range(rng.randint(1, 8)):
            p = min(len(b) - 1, off + rng.randint(0, 64))
            b[p] ^= rng.randint(1, 255)
            if glue and p >= len(b) - 2 and k + 1 < len(segs):   # the line end: the next line is touched
                segs[k + 1].damaged = True
        segs[k].raw, segs[k].damaged = bytes(b), True
        case.log.append(f"flip@{k}:{off}")
        return
    elif kind == "insert":
        k, off = _locate(case, rng.randrange(total + 1))
        j = junk(rng, case)
        if rng.random() < 0.5 or off == 0:      # between segments: the junk is a segment of its own
            segs.insert(k, Seg(j, damaged=True))
            if glue and not j.endswith(b"\n") and k + 1 < len(segs):
                segs[k + 1].damaged = True
            if glue and k > 0 and not segs[k - 1].raw.endswith(b"\n"):
                segs[k - 1].damaged = True
        else:
            s = segs[k]
            s.raw, s.damaged = s.raw[:off] + j + s.raw[off:], True
        case.log.append(f"insert({len(j)})@{k}:{off}")
        return
    elif kind == "reencode":
        recs = [s for s in segs if s.rec is not None]
        if not recs:
            return
        s = rng.choice(recs)
        text = s.raw.decode("utf-8", "replace")
        a = rng.randrange(len(text))
        piece = text[a:a + rng.randint(1, 400)]
        enc = rng.choice(["latin-1", "gbk", "cp1252"])
        s.raw = (text[:a] + "\x00" + text[a + len(piece):]).encode("utf-8").replace(
            b"\x00", piece.encode(enc, "replace"))
        s.damaged = True
        case.log.append(f"reencode({enc})@rec{s.rec}")
        return
    elif kind == "duplicate":
        recs = [k for k, s in enumerate(segs) if s.rec is not None]
        if not recs:
            return
        k = rng.choice(recs)
        to = rng.choice([k + 1, rng.choice(recs)])
        if glue and not segs[k].raw.endswith(b"\n"):     # a last line without its newline: glued to its copy
            segs[k].damaged = True
        segs.insert(to, Seg(segs[k].raw, segs[k].rec, segs[k].damaged))
        if segs[to].damaged and glue and to + 1 < len(segs):
            segs[to + 1].damaged = True
        case.log.append(f"duplicate {k}->{to}")
        return
    elif kind == "huge_line":
        recs = [k for k, s in enumerate(segs) if s.rec is not None] or [len(segs)]
        k = rng.choice(recs)
        segs.insert(k, Seg(b"x" * (MAX_DOC + 10) + b"\n", damaged=True))
        if glue and k > 0 and not segs[k - 1].raw.endswith(b"\n"):
            segs[k - 1].damaged = True
        case.log.append(f"huge_line@{k}")
        return
    elif kind == "junk_tail":
        segs.append(Seg(junk(rng, case), damaged=True))
        if glue and len(segs) > 1 and not segs[-2].raw.endswith(b"\n"):
            segs[-2].damaged = True
    case.log.append(kind)


def pack(rng: random.Random, case: Case) -> bytes:
    """The case's content compressed with its codec, as one stream or several members, and the
    compressed-space damage applied."""
    data = case.content()
    if not case.codec:
        return data
    if case.members > 1 and len(data) > case.members:
        cuts = sorted(rng.sample(range(1, len(data)), case.members - 1))
        parts = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
        blob = b"".join(compress(case.codec, p) for p in parts)
    else:
        blob = compress(case.codec, data)
    return blob


def damage_compressed(rng: random.Random, blob: bytes, kind: str, case: Case) -> bytes:
    case.compressed_damage = True
    case.keeps_content = False
    if kind == "ctruncate" and len(blob) > 1:
        cut = rng.randrange(1, len(blob))
        case.log.append(f"ctruncate@{cut}/{len(blob)}")
        return blob[:cut]
    if kind == "cflip" and len(blob) > 40:
        b = bytearray(blob)
        p = rng.randrange(len(b) // 4, 3 * len(b) // 4)      # inside a member, away from its header
        for _ in range(rng.randint(1, 4)):
            b[min(len(b) - 1, p + rng.randint(0, 32))] ^= rng.randint(1, 255)
        case.log.append(f"cflip@{p}/{len(blob)}")
        return bytes(b)
    case.log.append("cjunk_tail")
    return blob + junk(rng, case)


# -- reading and the oracle -------------------------------------------------------------------
def read_all(src, paths: list[str]):
    state = ReadState()
    items = []
    for p in paths:
        items.extend(read_source_file(src, p, state))
    return items, state.counters


def base_id(doc_id: str) -> str:
    return re.sub(r"#dup\d+$", "", doc_id)


def intact_records(case: Case, recovered: bytes) -> set[int]:
    """Records whose segment is untouched and wholly inside what can still be decompressed."""
    content = case.content()
    n = len(os.path.commonprefix([content, recovered])) if case.compressed_damage else len(content)
    out, pos, damaged = set(), 0, set()
    for s in case.segs:
        end = pos + len(s.raw)
        if s.rec is not None:
            if s.damaged or end > n:
                damaged.add(s.rec)
            else:
                out.add(s.rec)
        pos = end
    return out - damaged          # a duplicated record with one damaged copy is not required


def check(clean_items, clean_counters, items, counters, deps, intact: set[int], keeps_content: bool,
          key=lambda d: base_id(d.id)) -> list[str]:
    """`key`: what names a document across the clean and the damaged read (its id, unless the
    format says the damage may rename it, and the reader counted that)."""
    problems = []
    clean_docs = [i for i in clean_items if isinstance(i, Doc)]
    docs = [i for i in items if isinstance(i, Doc)]
    quarantined = [i for i in items if isinstance(i, Quarantined)]
    got = Counter((key(d), d.text_str) for d in docs)
    # read_source_file's safety net turns a reader's exception into this: here it is a bug
    problems += [f"reader crashed: {q.detail}" for q in quarantined if q.reason == "reader_error"]
    got_ids = {key(d) for d in docs}
    grew = [k for k, v in counters.items() if v > clean_counters.get(k, 0)]
    accounted = bool(quarantined or grew)
    # Damage inside a record's name that leaves the record well-formed (junk inside a JSON id
    # string) renames it: each document under a name the clean read does not have stands for one
    # clean document missing under its own name.
    renamed = len(got_ids - {key(d) for d in clean_docs})
    for d in clean_docs:
        need = deps(d)
        if (keeps_content or (need and need <= intact)) and got[(key(d), d.text_str)] < 1:
            problems.append(f"intact {d.id} (records {sorted(need)}) "
                            f"{'changed' if key(d) in got_ids else 'missing'}")
        if key(d) not in got_ids and not accounted:
            if renamed:
                renamed -= 1
                continue
            problems.append(f"{d.id} lost without a quarantine item or counter")
    if keeps_content and quarantined:
        problems.append(f"content kept but quarantined: {[(q.reason, q.detail[:80]) for q in quarantined]}")
    if not docs and not accounted:
        problems.append("no document, no quarantine item, no counter")
    for q in quarantined:
        if "\n" in q.detail:
            problems.append(f"quarantine detail is not one line: {q.detail[:200]!r}")
    return problems


# -- the formats --------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def wiki_pages() -> tuple[bytes, tuple[bytes, ...], bytes]:
    raw = bz2.decompress((SOURCES / "wiki" / "enwiki-pages-articles-sample.xml.bz2").read_bytes())
    spans = [(m.start(), m.end()) for m in re.finditer(rb"  <page>.*?</page>\n", raw, re.S)]
    # pages under 24 KB: wikitext parsing is the cost of a case, and small pages damage the same way
    return (raw[:spans[0][0]], tuple(raw[a:b] for a, b in spans if b - a < 24_000), raw[spans[-1][1]:])


@lru_cache(maxsize=None)
def wiki_articles() -> list[int]:
    """The pages that give a document (not redirects, disambiguation, other namespaces)."""
    header, pages, footer = wiki_pages()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "all.xml"
        path.write_bytes(header + b"".join(pages) + footer)
        items, _ = read_all(Wiki().source(path), [str(path)])
    ids = {d.metadata["page_id"] for d in items if isinstance(d, Doc)}
    return [i for i, p in enumerate(pages) if int(re.search(rb"<id>(\d+)</id>", p).group(1)) in ids]


@lru_cache(maxsize=None)
def se_rows() -> tuple[bytes, tuple[bytes, ...], bytes]:
    raw = gzip.decompress((SOURCES / "qa" / "coffee.stackexchange.com" / "Posts.xml.gz").read_bytes())
    spans = [(m.start(), m.end()) for m in re.finditer(rb"  <row [^\n]*/>\r?\n", raw)]
    return raw[:spans[0][0]], tuple(raw[a:b] for a, b in spans), raw[spans[-1][1]:]


@lru_cache(maxsize=None)
def jsonl_rows() -> tuple[bytes, ...]:
    rows = []
    for p in sorted((SOURCES / "wiki" / "wikitext").glob("*.txt.gz")):
        rows.append({"id": p.name, "text": gzip.decompress(p.read_bytes()).decode("utf-8")})
    for p in sorted((SOURCES / "books" / "zh_classics").glob("*.json")):
        data = json.loads(p.read_text("utf-8"))
        for k, ch in enumerate(data if isinstance(data, list) else [data]):
            rows.append({"id": f"{p.stem}-{k}", "text": "\n".join(ch["paragraphs"]), "chapter": ch.get("chapter")})
    return tuple(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in rows)


def _attr(rec: bytes, name: bytes) -> str | None:
    m = re.search(rb'\s' + name + rb'="([^"]*)"', rec)
    return m.group(1).decode() if m else None


class Format:
    name: str
    glue = False
    codecs = ["", ".gz", ".bz2", ".xz", ".zst"]

    def build(self, rng: random.Random) -> tuple[list[Seg], list[bytes]]:
        raise NotImplementedError

    def source(self, path: Path) -> SourceConfig:
        raise NotImplementedError

    def deps(self, recs: list[bytes]):
        raise NotImplementedError

    def key(self, clean_counters: dict, counters: dict):
        """What names a document in `check` (see there)."""
        return lambda d: base_id(d.id)


class Wiki(Format):
    name, suffix = "mediawiki", ".xml"

    def build(self, rng):
        header, pages, footer = wiki_pages()
        articles = wiki_articles()
        chosen = sorted({rng.choice(articles)} | set(rng.sample(range(len(pages)), rng.randint(1, 5))))
        recs = [pages[i] for i in chosen]
        return [Seg(header)] + [Seg(r, i) for i, r in enumerate(recs)] + [Seg(footer)], recs

    def source(self, path):
        return SourceConfig(name="w", format="mediawiki", paths=[str(path)], max_doc_bytes=MAX_DOC)

    def deps(self, recs):
        ids = {re.search(rb"<id>(\d+)</id>", r).group(1).decode(): i for i, r in enumerate(recs)}
        return lambda d: {ids[str(d.metadata["page_id"])]}

    def key(self, clean_counters, counters):
        # Damage to the dump's first block takes its <siteinfo>: a page's id then falls back from
        # the wiki's name to the source's, and the reader counts it. Its page id and text stay.
        if counters.get("pages_without_siteinfo", 0) > clean_counters.get("pages_without_siteinfo", 0):
            return lambda d: f"page {d.metadata['page_id']}"
        return super().key(clean_counters, counters)


class StackExchange(Format):
    name, suffix = "stackexchange", ".xml"

    def build(self, rng):
        header, rows, footer = se_rows()
        questions = [r for r in rows if _attr(r, b"PostTypeId") == "1"]
        chosen = {_attr(q, b"Id") for q in rng.sample(questions, rng.randint(2, 6))}
        recs = [r for r in rows if _attr(r, b"Id") in chosen or _attr(r, b"ParentId") in chosen]
        return [Seg(header)] + [Seg(r, i) for i, r in enumerate(recs)] + [Seg(footer)], recs

    def source(self, path):
        return SourceConfig(name="q", format="stackexchange", paths=[str(path)], max_doc_bytes=MAX_DOC,
                            site="coffee.stackexchange.com")

    def deps(self, recs):
        thread: dict[str, set[int]] = {}
        for i, r in enumerate(recs):
            thread.setdefault(_attr(r, b"ParentId") or _attr(r, b"Id"), set()).add(i)
        return lambda d: thread[d.metadata["question_id"]]


class Jsonl(Format):
    name, suffix, glue = "jsonl", ".jsonl", True

    def build(self, rng):
        rows = jsonl_rows()
        recs = [rows[i] for i in sorted(rng.sample(range(len(rows)), rng.randint(2, 12)))]
        return [Seg(r, i) for i, r in enumerate(recs)], recs

    def source(self, path):
        return SourceConfig(name="j", format="jsonl", paths=[str(path)], id_field="id", max_doc_bytes=MAX_DOC)

    def deps(self, recs):
        ids = {json.loads(r)["id"]: i for i, r in enumerate(recs)}
        return lambda d: {ids[d.id.split("/", 1)[1]]}


FORMATS = {f.name: f for f in (Wiki(), StackExchange(), Jsonl())}


def run_case(tmp: Path, fmt: Format, seed: int) -> tuple[Case, list[str]]:
    rng = random.Random(f"{fmt.name}:{seed}")
    segs, recs = fmt.build(rng)
    codec = rng.choice(fmt.codecs)
    case = Case(segs, codec, members=rng.choice([1, 1, 2, 3]) if codec else 1)
    name = "Posts" if fmt.name == "stackexchange" else f"sample-{seed}"
    clean_dir, damaged_dir = tmp / f"clean-{seed}", tmp / f"damaged-{seed}"
    clean_dir.mkdir()
    damaged_dir.mkdir()
    clean_path = clean_dir / f"{name}{fmt.suffix}{codec}"
    clean_path.write_bytes(compress(codec, case.content()))
    src = fmt.source(clean_path)
    clean_items, clean_counters = read_all(src, [str(clean_path)])
    assert clean_items and not [i for i in clean_items if isinstance(i, Quarantined)], (fmt.name, seed, clean_items)
    kinds = [rng.choice(CONTENT_DAMAGE + (COMPRESSED_DAMAGE if codec else [])) for _ in range(rng.choice([1, 1, 2, 3]))]
    for kind in kinds:
        if kind in CONTENT_DAMAGE:
            damage_content(rng, case, kind, fmt.glue)
    blob = pack(rng, case)
    for kind in kinds:
        if kind in COMPRESSED_DAMAGE:
            blob = damage_compressed(rng, blob, kind, case)
    case.log.insert(0, f"{codec or 'plain'} x{case.members}")
    path = damaged_dir / clean_path.name
    path.write_bytes(blob)
    try:
        items, counters = read_all(fmt.source(path), [str(path)])
    except Exception as e:  # noqa: BLE001 - the oracle's first rule
        return case, [f"raised {type(e).__name__}: {e}"]
    intact = intact_records(case, recoverable(codec, blob))
    return case, check(clean_items, clean_counters, items, counters, fmt.deps(recs), intact, case.keeps_content,
                       fmt.key(clean_counters, counters))


# -- one document per file: books, code, LaTeX papers, plain text ----------------------------------
class Whole:
    """A format whose files are one document each (a LaTeX paper: one per folder). `lines`: intact
    lines of a damaged file that the clean document holds must still be in its document
    (a few broken bytes must not garble the rest: a mis-decoded book); `normalizes`: a BOM and CRLF
    line ends give the same document."""
    name = ""
    codecs = ["", ".gz", ".bz2", ".xz", ".zst"]
    lines = True
    normalizes = False

    def files(self, rng: random.Random) -> dict[str, bytes]:
        raise NotImplementedError

    def source(self, folder: Path) -> SourceConfig:
        raise NotImplementedError


def _gunzip(p: Path) -> bytes:
    return gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()


class Books(Whole):
    name, normalizes = "gutenberg", True

    def files(self, rng):
        p = rng.choice(sorted((SOURCES / "books" / "gutenberg").glob("pg*.raw.txt.gz")))
        return {p.name.removesuffix(".gz"): _gunzip(p)}

    def source(self, folder):
        return SourceConfig(name="b", format="gutenberg", paths=[str(folder)], max_doc_bytes=1 << 20)


class Code(Whole):
    name, codecs = "code", ["", ".gz"]

    def files(self, rng):
        meta = [json.loads(line) for line in (SOURCES / "code" / "metadata.jsonl").read_text().splitlines()]
        chosen = rng.sample(meta, rng.randint(1, 4))
        return {m["file"].removeprefix("code/").removesuffix(".gz"): _gunzip(SOURCES / m["file"]) for m in chosen}

    def source(self, folder):
        return SourceConfig(name="c", format="code", paths=[str(folder)], root=str(folder), repo_depth=1,
                            max_doc_bytes=MAX_DOC)


class Text(Whole):
    name = "text"

    def files(self, rng):
        chosen = rng.sample(sorted((SOURCES / "wiki" / "wikitext").glob("*.txt.gz")), rng.randint(1, 3))
        return {p.name.removesuffix(".gz"): _gunzip(p) for p in chosen}

    def source(self, folder):
        return SourceConfig(name="t", format="text", paths=[str(folder)], max_doc_bytes=MAX_DOC)


class Latex(Whole):
    name, codecs, lines = "latex", [""], False

    def files(self, rng):
        folder = SOURCES / "papers" / rng.choice(["sympy-paper", "scipy-1.0"])
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}

    def source(self, folder):
        return SourceConfig(name="p", format="latex", paths=[str(folder)], max_doc_bytes=1 << 20)


WHOLE = {f.name: f for f in (Books(), Code(), Text(), Latex())}


def _write(folder: Path, files: dict[str, bytes], codec: str) -> None:
    for name, data in files.items():
        path = folder / (name + codec)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(compress(codec, data) if isinstance(data, bytes) else data[0])


def run_whole_case(tmp: Path, fmt: Whole, seed: int) -> tuple[Case, list[str]]:
    from pipeline.readers import expand_paths
    rng = random.Random(f"{fmt.name}:{seed}")
    files = fmt.files(rng)
    codec = rng.choice(fmt.codecs)
    clean_dir, damaged_dir = tmp / f"clean-{seed}", tmp / f"damaged-{seed}"
    _write(clean_dir, files, codec)
    clean_paths = expand_paths(str(clean_dir))
    clean_items, clean_counters = read_all(fmt.source(clean_dir), clean_paths)
    assert clean_items and not [i for i in clean_items if isinstance(i, Quarantined)], (fmt.name, seed, clean_items)
    victim = rng.choice(sorted(n for n in files if fmt.name != "latex" or n.endswith(".tex")))
    lines = files[victim].splitlines(keepends=True)
    case = Case([Seg(line, i) for i, line in enumerate(lines)] or [Seg(b"")], codec,
                members=rng.choice([1, 1, 2]) if codec else 1)
    kinds = [rng.choice(CONTENT_DAMAGE + (COMPRESSED_DAMAGE if codec else [])) for _ in range(rng.choice([1, 1, 2]))]
    for kind in kinds:
        if kind in CONTENT_DAMAGE:
            damage_content(rng, case, kind, True)
    blob = pack(rng, case)
    for kind in kinds:
        if kind in COMPRESSED_DAMAGE:
            blob = damage_compressed(rng, blob, kind, case)
    case.log.insert(0, f"{victim}{codec} x{case.members}")
    _write(damaged_dir, {**files, victim: (blob,)}, codec)
    paths = expand_paths(str(damaged_dir))
    try:
        items, counters = read_all(fmt.source(damaged_dir), paths)
    except Exception as e:  # noqa: BLE001 - the oracle's first rule
        return case, [f"raised {type(e).__name__}: {e}"]
    rename = lambda i: i.replace(f"clean-{seed}", f"damaged-{seed}")  # noqa: E731 - ids hold paths
    for d in clean_items:
        d.id = rename(d.id)
    # (a paper's document depends on all its files; a book's id is its eBook number, its file in metadata)
    of_victim = lambda d: fmt.name == "latex" or victim in (d.metadata.get("file") or d.id)   # noqa: E731
    deps = lambda d: set() if of_victim(d) else {0}                   # noqa: E731 - other files: intact
    problems = check(clean_items, clean_counters, items, counters, deps, {0},
                     case.keeps_content and fmt.normalizes)
    if fmt.lines and not problems:
        intact = intact_records(case, recoverable(codec, blob))
        clean_text = {base_id(d.id): d.text_str for d in clean_items if isinstance(d, Doc) and of_victim(d)}
        for d in items:
            if isinstance(d, Doc) and base_id(d.id) in clean_text:
                have = set(d.text_str.replace("\r\n", "\n").split("\n"))
                want = set(clean_text[base_id(d.id)].split("\n"))
                lost = [ln for i in sorted(intact) if len(ln := lines[i].decode("utf-8", "replace").rstrip("\r\n")) > 20
                        and ln in want and ln not in have]
                if lost:
                    problems.append(f"{d.id}: {len(lost)} intact lines changed, e.g. {lost[0][:100]!r}")
    return case, problems


SEEDS = int(os.environ.get("SRCFUZZ_SEEDS", "24"))      # per reader in CI (~14 s); more by hand


# Seeds of the long campaigns that found a bug, kept as regressions (format, seed).
FOUND = [("jsonl", 980),      # .xz in 3 members, flipped: pieces fed from a member's end lost good rows
         ("mediawiki", 7087),  # .bz2 in 3 members, the first (siteinfo) flipped: the page's id changed, uncounted
         ("stackexchange", 7531),  # .zst cut inside junk glued after a whole row: the row was lost
         ("jsonl", 8584),      # the oracle's: junk inside a JSON id string renames the record, well-formed
         ("stackexchange", 8716),  # a 200 KB junk line glued after a whole row: the row went with it
         ("mediawiki", 11977),  # a byte flipped in <dbname>: every page renamed en\ufffdiki:N, uncounted
         ("mediawiki", 22301),  # bytes inserted into a <page> tag: the page was skipped as space between pages
         ("mediawiki", 22621)]  # a byte flipped in a <page> tag: the same


@pytest.mark.parametrize("fmt,seed", [(f, s) for s in range(SEEDS) for f in FORMATS] + FOUND)
def test_campaign(tmp_path, fmt, seed):
    case, problems = run_case(tmp_path, FORMATS[fmt], seed)
    assert not problems, (case.log, problems)


WHOLE_FOUND = [("latex", 7262),   # a standalone figure .tex grown past the paper's size became the paper
               ("text", 1569),    # junk split into two lines outnumbered the one UTF-8 line: all read as cp1252
               ("gutenberg", 14681),  # the closing "End of the Project Gutenberg EBook" line copied mid-book: 3/4 lost
               ("text", 18036)]   # junk that GB18030 reads as words outnumbered the UTF-8 line: it was re-read as GB18030


@pytest.mark.parametrize("fmt,seed", [(f, s) for s in range(SEEDS) for f in WHOLE] + WHOLE_FOUND)
def test_campaign_whole_files(tmp_path, fmt, seed):
    case, problems = run_whole_case(tmp_path, WHOLE[fmt], seed)
    assert not problems, (case.log, problems)


# -- what the campaign found, one test each (each fails on the readers before the fix) ----------------
def _jsonl(tmp_path: Path, name: str, blob: bytes, rows: int | None = None):
    path = tmp_path / name
    path.write_bytes(blob)
    src = SourceConfig(name="j", format="jsonl", paths=[str(path)], id_field="id")
    items, counters = read_all(src, [str(path)])
    return [i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)]


ROWS = b"".join(b'{"id": "%d", "text": "row %d \\u00e9t\\u00e9 %s"}\n' % (i, i, b"x" * (i % 97)) for i in range(3000))


@pytest.mark.parametrize("codec", [".gz", ".bz2", ".xz", ".zst"])
def test_decoder_errors_of_every_codec_are_quarantined_after_every_row_before_them(tmp_path, codec):
    blob = compress(codec, ROWS)
    mid = len(blob) // 2
    for name, damaged in (("junk", blob + b"\x00garbage after the stream" * 3),
                          ("cut", blob[:len(blob) * 2 // 3]),
                          ("flip", blob[:mid] + bytes([blob[mid] ^ 0x5A]) + blob[mid + 1:])):
        docs, quarantined = _jsonl(tmp_path, f"{name}.jsonl{codec}", damaged)   # raised ZstdError, IsalError
        assert quarantined, (codec, name)                                  # a cut .zst was silently short
        readable = recoverable(codec, damaged)
        whole = readable[:readable.rfind(b"\n") + 1] if readable != ROWS else ROWS
        intact = [json.loads(line)["id"] for line in whole.splitlines()
                  if ROWS.find(line + b"\n") == whole.find(line + b"\n")]
        got = {d.id.split("/", 1)[1] for d in docs}
        assert set(intact) <= got, (codec, name, len(intact), len(got))   # lost what was decoded before damage
        assert all("\n" not in q.detail for q in quarantined)


def test_a_bom_does_not_cost_the_first_jsonl_row(tmp_path):
    docs, quarantined = _jsonl(tmp_path, "bom.jsonl", b"\xef\xbb\xbf" + b"".join(ROWS.splitlines(keepends=True)[:3]))
    assert not quarantined and docs[0].id == "j/0"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_files_read_as_their_utf8_twins(tmp_path, encoding):
    """Dumps and JSON Lines saved by Windows tools (gensim's test bgwiki dump is UTF-16): read like
    the UTF-8 file, with a BOM ("utf-16", "utf-32") or without one (XML's and JSON's first
    character then NUL bytes)."""
    header, pages, footer = wiki_pages()
    wiki = header + b"".join(pages[:40]) + footer
    posts = (SOURCES / "qa" / "blender.meta.stackexchange_fixture" / "Posts.xml").read_bytes()
    for fmt, name, utf8 in (("jsonl", "rows.jsonl.gz", b"".join(ROWS.splitlines(keepends=True)[:200])), ("mediawiki", "dump.xml.bz2", wiki),
                            ("stackexchange", "Posts.xml", posts)):
        got = []
        for enc, data in (("utf-8", utf8), (encoding, utf8.decode("utf-8").encode(encoding))):
            path = tmp_path / enc / fmt / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(compress("." + name.rsplit(".", 1)[1], data) if name.endswith((".gz", ".bz2")) else data)
            items, counters = read_all(SourceConfig(name="s", format=fmt, paths=[str(path)]), [str(path)])
            assert not [i for i in items if isinstance(i, Quarantined)], (fmt, enc)
            got.append([(d.id.split("/")[-1], d.text_str) for d in items if isinstance(d, Doc)])
        assert got[0] and got[1] == got[0], fmt


def test_utf16_json_lines_on_a_store_without_lookahead_are_transcoded_too():
    """fsspec's memory and object-store files cannot peek: the UTF-16 test must not depend on it."""
    import fsspec
    rows = b"".join(ROWS.splitlines(keepends=True)[:50])
    with fsspec.open("memory://utf16test/rows.jsonl", "wb") as f:
        f.write(rows.decode("utf-8").encode("utf-16"))
    path = "memory://utf16test/rows.jsonl"
    items, _ = read_all(SourceConfig(name="j", format="jsonl", paths=[path], id_field="id"), [path])
    assert [i.text_str for i in items] == [json.loads(line)["text"] for line in rows.splitlines()]


@pytest.mark.parametrize("content", [b"", b"   \n", b"not a dump at all\n"])
def test_a_compressed_file_holding_nothing_is_not_silent(tmp_path, content):
    for fmt, name in (("jsonl", "x.jsonl.gz"), ("mediawiki", "x.xml.bz2"), ("stackexchange", "Posts.xml.zst")):
        (tmp_path / fmt).mkdir(exist_ok=True)
        path = tmp_path / fmt / name
        path.write_bytes(compress("." + name.rsplit(".", 1)[1], content))
        items, counters = read_all(SourceConfig(name="s", format=fmt, paths=[str(path)]), [str(path)])
        assert any(isinstance(i, Quarantined) for i in items) or counters, (fmt, content)


def test_a_dump_cut_between_pages_is_counted(tmp_path):
    header, pages, footer = wiki_pages()
    articles = wiki_articles()[:3]
    path = tmp_path / "cut.xml"
    path.write_bytes(header + b"".join(pages[i] for i in articles))     # no </mediawiki>: cut after a page
    items, _ = read_all(Wiki().source(path), [str(path)])
    assert sum(isinstance(i, Doc) for i in items) == 3
    assert [i.reason for i in items if isinstance(i, Quarantined)] == ["truncated_dump"]


def test_a_malformed_page_is_quarantined_with_a_one_line_detail(tmp_path):
    header, pages, footer = wiki_pages()
    page = pages[wiki_articles()[0]]
    path = tmp_path / "nul.xml"
    path.write_bytes(header + page.replace(b"<title>", b"<title>\x00", 1) + footer)
    items, _ = read_all(Wiki().source(path), [str(path)])
    [q] = [i for i in items if isinstance(i, Quarantined)]
    assert q.reason == "malformed_page" and "\n" not in q.detail


def _posts(tmp_path: Path, blob: bytes):
    (tmp_path / "se").mkdir(exist_ok=True)
    path = tmp_path / "se" / "Posts.xml"
    path.write_bytes(blob)
    items, counters = read_all(StackExchange().source(path), [str(path)])
    return [i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)], counters


def test_a_damaged_row_does_not_end_the_stack_exchange_dump(tmp_path):
    header, rows, footer = se_rows()
    clean = _posts(tmp_path, header + b"".join(rows) + footer)[0]
    k = len(rows) // 3
    broken = rows[k].replace(b'Body="', b'Body="<', 1)             # a literal "<" in a value: not XML
    docs, quarantined, _ = _posts(tmp_path, header + b"".join(rows[:k]) + broken + b"".join(rows[k + 1:]) + footer)
    assert [q.reason for q in quarantined if q.reason != "orphan_answer"] == ["bad_row", "junk"]
    thread = _attr(rows[k], b"ParentId") or _attr(rows[k], b"Id")
    assert {d.id for d in clean} - {d.id for d in docs} <= {f"q/coffee.stackexchange.com/{thread}"}
    assert len(docs) >= len(clean) - 1                              # iterparse stopped at the bad row


def test_a_repeated_stack_exchange_row_is_read_once(tmp_path):
    header, rows, footer = se_rows()
    clean = _posts(tmp_path, header + b"".join(rows) + footer)[0]
    answer = next(i for i, r in enumerate(rows) if _attr(r, b"PostTypeId") == "2")
    docs, quarantined, counters = _posts(tmp_path, header + b"".join(rows[:answer + 1]) + rows[answer]
                                         + b"".join(rows[answer + 1:]) + footer)
    assert not quarantined and counters["stackexchange_duplicate_rows"] == 1
    assert sorted((d.id, d.text) for d in docs) == sorted((d.id, d.text) for d in clean)


def test_stray_bytes_in_a_utf8_book_do_not_garble_the_rest(tmp_path):
    raw = _gunzip(SOURCES / "books" / "gutenberg" / "pg35190.raw.txt.gz")
    path = tmp_path / "pg35190.txt"
    path.write_bytes(raw)
    clean = read_all(Books().source(path), [str(path)])[0][0]
    mid = raw.index(b"\n", len(raw) // 2) + 1
    path.write_bytes(raw[:mid] + "Caf\u00e9 na\u00efve\n".encode("latin-1") + raw[mid:])
    [doc], counters = read_all(Books().source(path), [str(path)])
    assert doc.metadata["encoding"] == "utf-8+cp1252" and counters["gutenberg_stray_non_utf8_books"] == 1
    assert doc.text.replace("Caf\u00e9 na\u00efve\n", "") == clean.text    # was decoded as cp1252: mojibake


def test_a_bom_is_no_part_of_a_code_or_text_document(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.py").write_bytes(b"\xef\xbb\xbfprint('hi')\n")
    for fmt, extra in (("code", {"root": str(tmp_path / "repo")}), ("text", {})):
        src = SourceConfig(name="s", format=fmt, paths=[str(tmp_path / "repo")], **extra)
        [doc], _ = read_all(src, [str(tmp_path / "repo" / "a.py")])
        assert doc.text == "print('hi')\n"


def run_parquet_case(tmp: Path, seed: int) -> tuple[list[str], list[str]]:
    """Parquet of the JSONL rows in small row groups, with flipped bytes inside one row group's
    pages or the file cut: the other groups' rows come out, the damaged ones are counted."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    rng = random.Random(f"parquet:{seed}")
    rows = [json.loads(r) for r in jsonl_rows()]
    rows = rows[:rng.randint(10, len(rows))]
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([{"id": r["id"], "text": r["text"]} for r in rows]), buf,
                   row_group_size=rng.choice([4, 8, 16]), compression=rng.choice(["snappy", "zstd", "gzip"]))
    data = bytearray(buf.getvalue())
    meta = pq.ParquetFile(io.BytesIO(bytes(data))).metadata
    groups = [(meta.row_group(g).column(0).dictionary_page_offset or meta.row_group(g).column(0).data_page_offset,
               sum(meta.row_group(g).column(c).total_compressed_size for c in range(2)), meta.row_group(g).num_rows)
              for g in range(meta.num_row_groups)]
    first = [sum(n for _, _, n in groups[:g]) for g in range(len(groups))]
    if rng.random() < 0.2:
        data, damaged, log = data[:rng.randrange(1, len(data))], set(range(len(groups))), ["cut"]
    else:
        g = rng.randrange(len(groups))
        start, size, _ = groups[g]
        for _ in range(rng.randint(1, 8)):
            data[start + rng.randrange(size)] ^= rng.randint(1, 255)
        damaged, log = {g}, [f"flip group {g}"]
    path = tmp / "rows.parquet"
    path.write_bytes(bytes(data))
    src = SourceConfig(name="p", format="parquet", paths=[str(path)], id_field="id", max_doc_bytes=MAX_DOC)
    try:
        items, _ = read_all(src, [str(path)])
    except Exception as e:  # noqa: BLE001
        return log, [f"raised {type(e).__name__}: {e}"]
    got = {(d.id, d.text_str) for d in items if isinstance(d, Doc)}
    quarantined = [i for i in items if isinstance(i, Quarantined)]
    problems = [f"row {i} of intact group {g} missing" for g in range(len(groups)) if g not in damaged
                for i in range(first[g], first[g] + groups[g][2]) if (f"p/{rows[i]['id']}", rows[i]["text"]) not in got]
    ids = {i for i, _ in got}
    # No page checksums: a flip may change a value silently, the id too (the row then comes out
    # under its new id: renamed, not lost, as the JSON Lines oracle counts it; seeds 23128, 24364)
    renamed = len(ids - {f"p/{r['id']}" for r in rows})
    lost = sum(f"p/{r['id']}" not in ids for r in rows) - renamed
    if lost > 0 and not quarantined:
        problems.append(f"{lost} rows lost without a quarantine item")
    return log, problems


@pytest.mark.parametrize("seed", range(SEEDS // 2))
def test_campaign_parquet(tmp_path, seed):
    log, problems = run_parquet_case(tmp_path, seed)
    assert not problems, (log, problems)


def test_stray_bytes_in_a_utf8_latex_file_do_not_garble_the_rest(tmp_path):
    (tmp_path / "paper").mkdir()
    (tmp_path / "paper" / "main.tex").write_bytes(
        b"\\documentclass{article}\n\\usepackage[latin1]{inputenc}\n\\begin{document}\n\\input{sec}\n\\end{document}\n")
    (tmp_path / "paper" / "sec.tex").write_bytes("Schr\u00f6dinger und Poincar\u00e9, Erd\u0151s.\n".encode()
                                                 + "Gr\u00fc\u00dfe\n".encode("latin-1"))
    src = Latex().source(tmp_path / "paper")
    [doc], _ = read_all(src, [str(tmp_path / "paper" / "main.tex")])
    assert "Schr\u00f6dinger und Poincar\u00e9, Erd\u0151s." in doc.text and "Gr\u00fc\u00dfe" in doc.text
    assert doc.metadata["encodings"] == {"sec.tex": "utf-8+cp1252"}


def test_a_huge_broken_jsonl_line_is_skipped_with_a_capped_sample(tmp_path):
    lines = ROWS.splitlines(keepends=True)
    huge = b'{"id": "huge", "text": "' + b"\xff" * 3_000_000 + b"\n"      # no closing quote: not JSON, not UTF-8
    path = tmp_path / "huge.jsonl"
    for name, blob in (("x", huge), ("y", huge[:-1] + b"x" * 4_000_000 + b"\n")):
        path.write_bytes(lines[0] + blob + lines[1])
        src = SourceConfig(name="j", format="jsonl", paths=[str(path)], id_field="id", max_doc_bytes=100_000)
        items, _ = read_all(src, [str(path)])
        assert [d.id for d in items if isinstance(d, Doc)] == ["j/0", "j/1"]
        [q] = [i for i in items if isinstance(i, Quarantined)]
        assert q.size >= 3_000_000 and len(q.sample) <= 65536, (q.reason, q.size, len(q.sample))   # was the whole line


def test_junk_after_a_complete_compressed_file_keeps_its_document(tmp_path):
    book = SOURCES / "books" / "gutenberg" / "pg10026.raw.txt.gz"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "pg10026.txt.gz").write_bytes(book.read_bytes() + b"\x00\x00appended junk\r\n" * 20)
    [doc], counters = read_all(Books().source(tmp_path / "b"), [str(tmp_path / "b" / "pg10026.txt.gz")])
    clean = read_all(Books().source(book), [str(book)])[0][0]
    assert isinstance(doc, Doc) and doc.text == clean.text and counters["junk_after_compressed_data"] == 1
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for p in sorted((SOURCES / "papers" / "scipy-1.0").iterdir()):
            tar.add(p, arcname=p.name)
    path = tmp_path / "1907.10121.tar.gz"
    path.write_bytes(buf.getvalue() + os.urandom(300))
    [doc], counters = read_all(Latex().source(path), [str(path)])
    assert isinstance(doc, Doc) and counters["junk_after_compressed_data"] == 1     # was corrupt_archive
