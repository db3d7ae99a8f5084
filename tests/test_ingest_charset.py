"""Charsets: real gold texts from ../shared/data re-encoded at test time in the legacy charsets of
the web, with no, right and wrong declarations; and the garbage rule measured on real pages and
real binary payloads."""
import codecs
import csv
import gzip
import json
import lzma
from collections import Counter
from pathlib import Path

import opencc
import pytest
from warcio.archiveiterator import ArchiveIterator

from pipeline.readers import Doc, DocBatch, Quarantined, ReadState, read_source_file
from pipeline.readers.charsets import MAX_BAD_SHARE, _tld, bad_share, canonical, is_utf8
from pipeline.readers.decode import decode_html, decode_html_utf8
from pipeline.recipe import SourceConfig


def texts(shared: Path) -> dict[str, str]:
    sh = json.loads((shared / "html/scrapinghub/ground-truth.json").read_text())
    en = max((v["articleBody"] for v in sh.values()), key=lambda t: sum(c in "’“”—–é…" for c in t[:3000]))
    base = shared / "zh/html/magic_html"
    gt = json.loads((base / "ground-truth.json").read_text())
    rows = list(csv.DictReader(open(base / "pages.tsv", encoding="utf-8"), delimiter="\t"))
    hans = max((gt[r["id"]]["content"] for r in rows if r["script"] == "zh-Hans" and r["type"] == "article"),
               key=lambda t: sum("\u4e00" <= c <= "\u9fff" for c in t[:3000]))
    ja = max((gt[r["id"]]["content"] for r in rows if r["script"] == "ja"), key=len)
    ko = " ".join(r["text"] for r in csv.DictReader(open(shared / "text/multilingual_sentences.tsv",
                                                         encoding="utf-8"), delimiter="\t")
                  if r["lang_iso639_1"] == "ko")
    hant = opencc.OpenCC("s2t").convert(hans)
    out = {"en": en, "zh-Hans": hans, "zh-Hant": hant, "ja": ja, "ko": ko}
    for lang in ("cs", "pl", "tr", "lt", "ru", "uk", "el", "he"):
        out[lang] = " ".join(r["text"] for r in csv.DictReader(open(shared / "text/multilingual_sentences.tsv",
                                                                    encoding="utf-8"), delimiter="\t")
                             if r["lang_iso639_1"] == lang)
    return out


# (language, real charset, a wrong label such pages really carry)
CASES = [("en", "cp1252", "utf-8"), ("zh-Hans", "gbk", "iso-8859-1"), ("zh-Hant", "big5", "iso-8859-1"),
         ("ja", "shift_jis", "windows-1251"), ("ko", "euc-kr", "iso-8859-1"),
         # CJK mixed up with CJK: a strict decode in the wrong one is possible, the mess check decides
         ("zh-Hant", "big5", "gb2312"), ("zh-Hans", "gb18030", "big5"), ("ja", "euc_jp", "shift_jis"),
         # Latin scripts beyond windows-1252 under the label servers sent by default (a weak label)
         ("cs", "cp1250", "iso-8859-1"), ("pl", "iso8859-2", "iso-8859-1"), ("tr", "cp1254", "iso-8859-1"),
         ("lt", "cp1257", "us-ascii"),
         # other scripts under wrong single-byte labels
         ("ru", "koi8-r", "windows-1252"), ("uk", "cp1251", "iso-8859-1"), ("el", "cp1253", "iso-8859-1"),
         ("he", "cp1255", "iso-8859-1")]
LABEL = {"cp1252": "windows-1252", "gbk": "gbk", "big5": "big5", "shift_jis": "shift_jis", "euc-kr": "euc-kr",
         "gb18030": "gb18030", "euc_jp": "euc-jp", "cp1250": "windows-1250", "iso8859-2": "iso-8859-2",
         "cp1254": "windows-1254", "cp1257": "windows-1257", "koi8-r": "koi8-r", "cp1251": "windows-1251",
         "cp1253": "windows-1253", "cp1255": "windows-1255"}


def record(url: str, body: bytes, ctype: str) -> bytes:
    http = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n\r\n".encode() + body
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Record-ID: <urn:uuid:{url}>\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n").encode()
    return gzip.compress(head + http + b"\r\n\r\n")


def read(path, fmt="warc"):
    src = SourceConfig(name="s", format=fmt, paths=[str(path)])
    state = ReadState()
    items = list(read_source_file(src, str(path), state))
    return [i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)], state.counters


@pytest.fixture(scope="module")
def gold_texts(shared_data):
    return texts(shared_data)


@pytest.mark.parametrize("lang,charset,wrong", CASES, ids=[f"{c[1]}-vs-{c[2]}" for c in CASES])
def test_legacy_charsets_with_no_right_and_wrong_declarations(gold_texts, tmp_path, lang, charset, wrong):
    # Only what the charset can hold, as a page in that charset would.
    text = gold_texts[lang][:3000].encode(charset, "ignore").decode(charset)
    assert sum(ord(c) > 127 for c in text) >= 20
    pages = {
        "none": (f"<html><head><title>t</title></head><body><p>{text}</p></body></html>", "text/html"),
        "meta-right": (f'<html><head><meta charset="{LABEL[charset]}"><title>t</title></head>'
                       f"<body><p>{text}</p></body></html>", "text/html"),
        "http-right": (f"<html><body><p>{text}</p></body></html>", f"text/html; charset={LABEL[charset]}"),
        "http-wrong": (f"<html><body><p>{text}</p></body></html>", f"text/html; charset={wrong}"),
        "meta-wrong": (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={wrong}">'
                       f"</head><body><p>{text}</p></body></html>", "text/html"),
    }
    p = tmp_path / "pages.warc.gz"
    p.write_bytes(b"".join(record(f"http://x.example/{k}", html.encode(charset), ct) for k, (html, ct) in pages.items()))
    docs, q, counters = read(p)
    assert not q and [d.url.rsplit("/", 1)[1] for d in docs] == list(pages)
    for d in docs:
        assert text in d.html_str, (d.url, d.metadata["charset"], d.html_str[:200])
    assert "decoded_lossy" not in counters


def test_a_western_page_with_symbols_only_keeps_them(gold_texts):
    """A page whose only bytes over 0x7f are (c) and (R) gives a detector no letters to
    judge by (chardetng calls this one ISO-8859-2: a Z and an S with caron): windows-1252 reads it,
    unlabelled or under a weak label."""
    en = "".join(c for c in gold_texts["en"] if c.isascii())[:2000]
    html = f"<html><body><p>{en}</p><p>John Smith, REALTOR\u00ae (702) 648-4500 \u00a9 2008</p></body></html>"
    for declared in (None, "iso-8859-1"):
        text, how, lossy = decode_html(html.encode("cp1252"), declared)
        assert (text, how, lossy) == (html, "cp1252", False)


def test_the_pages_own_meta_goes_before_a_weak_header(gold_texts, monkeypatch):
    """A server's default ISO-8859-1 or windows-1252 header (WHATWG: one charset) over a page whose
    <meta> says windows-1250: the page's word wins, even where detection is not sure (made unsure
    here, so the rule alone decides)."""
    from pipeline.readers import decode
    monkeypatch.setattr(decode.EncodingDetector, "guess_assess", lambda self, tld, allow_utf8: ("windows-1252", False))
    text = gold_texts["cs"][:2000]
    body = f'<html><head><meta charset="windows-1250"></head><body><p>{text}</p></body></html>'.encode("cp1250")
    got, how, _ = decode_html(body, "iso-8859-1")
    assert (how, text in got) == ("cp1250", True)
    got, how, _ = decode_html(body, "windows-1252")        # as weak as ISO-8859-1 (it was taken, mojibake)
    assert (how, text in got) == ("cp1250", True)


def test_the_top_level_domain_reaches_the_detector_and_never_breaks_it():
    """chardetng takes the host's last label (lower-case ASCII, no dot) and panics on anything else:
    every URL form a crawl holds gives either such a label or none."""
    assert _tld("http://X.Example.COM:8080/a") == b"com"
    assert _tld("http://xn--bcher-kva.xn--p1ai/") == b"xn--p1ai"
    assert _tld("http://a.b.cz./x") == b"cz"
    for url in ("http://[::1]/", "http://10.0.0.1/", "http://a.co_uk/", "not a url", "", None,
                "http://a.\u0440\u0444/"):
        assert _tld(url) is None, url
    body = "<p>Příliš žluťoučký kůň úpěl ďábelské ódy. Dobrý den, jak se máš?</p>".encode("cp1250")
    for url in ("http://x.cz/", "http://[::1]/", "http://a.\u0440\u0444/", "http://10.0.0.1/"):
        assert decode_html(body, None, url=url)[0] is not None


def html_files(shared: Path) -> list[Path]:
    return sorted([*shared.glob("html/cleaneval_dev/input/*.html.gz"), *shared.glob("html/scrapinghub/html/*.gz"),
                   *shared.glob("html/trafilatura/pages/*.gz"), *shared.glob("html/readability/*/source.html.gz"),
                   *shared.glob("zh/html/*/html/*.html.gz"), *shared.glob("zh/html/trafilatura/pages/*.gz"),
                   *shared.glob("zh/html/twnews/samples/*.html.xz")])


def test_every_gold_page_is_read_none_is_garbage(shared_data):
    files = html_files(shared_data)
    assert len(files) > 300
    lost, lossy = [], 0
    for f in files:
        raw = (lzma.open if f.suffix == ".xz" else gzip.open)(f).read()
        text, how, was_lossy = decode_html(raw)
        lossy += was_lossy
        if text is None:
            lost.append((f.name, how))
    assert not lost
    assert lossy <= len(files) // 50          # a lossy decode is an exception, not the rule


def test_binary_payloads_labelled_as_html_are_garbage(shared_data):
    """The other side of the garbage rule: real images, fonts, archives from real crawls."""
    binaries = []
    for name in ("ukwa_wikipedia-mona-lisa.warc.gz", "pywb_iana.warc.gz", "dolma_sample-0000.warc.gz"):
        with open(shared_data / "warc" / name, "rb") as f:
            for r in ArchiveIterator(f):
                if r.rec_type != "response" or not r.http_headers:
                    continue
                ctype = r.http_headers.get_header("Content-Type", "")
                body = r.content_stream().read()
                if ctype.startswith(("image/", "font/", "application/octet", "application/x-font",
                                     "application/font", "application/pdf")) and len(body) > 2000 \
                        and "svg" not in ctype:
                    binaries.append((ctype, body))
    assert len(binaries) >= 10
    kept = [(ct, bad_share(decode_html(b)[0] or "")) for ct, b in binaries if decode_html(b)[0] is not None]
    assert not kept, f"binary payloads decoded as pages (rule: > {MAX_BAD_SHARE:.0%} bad characters): {kept}"


@pytest.mark.parametrize("charset,label", [("iso2022_jp", None), ("iso2022_jp", "iso-2022-jp"),
                                           ("iso2022_kr", None), ("utf-16-le", None), ("utf-16-be", None),
                                           ("utf-16-le", "utf-16le"), ("utf-32-le", None), ("utf-32-be", None)])
def test_iso2022_and_utf16_without_bom(gold_texts, tmp_path, charset, label):
    """7-bit ISO-2022 pages (escape sequences) are valid UTF-8 byte for byte, and so is UTF-16/32
    without a byte-order mark wherever its text is ASCII (NUL bytes): they were kept as escape-code
    text or quarantined as control characters. Read through the WARC reader (its batch path) and
    decode_html alike."""
    lang = "ko" if charset == "iso2022_kr" else "ja"
    text = gold_texts[lang][:2000].encode(charset, "ignore").decode(charset)
    assert sum(ord(c) > 127 for c in text) >= 20
    body = f"<html><head><title>t</title></head><body><p>{text}</p></body></html>".encode(charset)
    assert _strict_utf8(body) or charset.startswith("utf")
    got, how, lossy = decode_html(body, label)
    assert got is not None and text in got and not lossy, (how, (got or "")[:200])
    assert decode_html_utf8(body, label) == (got.encode(), how, False)
    p = tmp_path / "pages.warc.gz"
    ctype = "text/html" + (f"; charset={label}" if label else "")
    p.write_bytes(record("http://x.example/a", b"<p>plain</p>", "text/html") + record("http://x.example/b", body, ctype))
    docs, q, counters = read(p)
    assert not q and [d.url for d in docs] == ["http://x.example/a", "http://x.example/b"]
    assert text in docs[1].html_str and docs[1].metadata["charset"] == how


def test_escape_codes_and_nul_bytes_that_are_not_those_charsets_stay_as_they_were(gold_texts):
    """A terminal log with ANSI colours (ESC [), a UTF-8 page quoting ESC $, NUL padding in a real
    UTF-8 page: the ISO-2022 and UTF-16 readings are asked only where they fit and must make sense."""
    ansi = b"<pre>\x1b[31mERROR\x1b[0m disk full\n" * 3 + b"</pre>" + b"<p>log line</p>" * 100
    assert decode_html(ansi) == (ansi.decode(), "utf-8", False)
    utf8 = f"<p>{gold_texts['ja'][:500]} \x1b$B</p>".encode()
    assert decode_html(utf8)[:2] == (utf8.decode(), "utf-8")
    en = f"<html><body><p>{gold_texts['en'][:3000]}</p></body></html>".encode()
    padded = en + b"\0" * 2000                     # padding after the page: stripped (test_nul_padding...)
    assert decode_html(padded) == (en.decode(), "utf-8", True) and decode_html_utf8(padded) == (en, "utf-8", True)
    odd = ("<p>" + gold_texts["en"][:1001] + "</p>").encode("utf-16-le")[:-1]   # cut mid-character
    assert decode_html(odd)[0] is None


def test_nul_padding_is_stripped_and_control_bytes_are_judged_over_the_whole_page(shared_data, tmp_path):
    """A real UTF-8 page with a few hundred NULs at its end (0.7 % of its bytes) was quarantined
    whole as "7% control characters": the share was measured on three 2 KiB windows, the last one
    full of padding. NULs at either end are padding, stripped (the page flagged decoded_lossy),
    for every charset (1,000 after a windows-1252 page made each reading implausible); control
    bytes elsewhere are judged by their share of the whole page: a run of them inside a page is
    no garbage page, binary junk still is. The WARC reader's batch path reads them as the
    per-record path does."""
    sh = sorted(shared_data.glob("html/scrapinghub/html/*.gz"))
    utf8 = max((gzip.open(f).read() for f in sh[:40]),
               key=lambda b: (not b.isascii() and is_utf8(b) and len(b) < 100_000, len(b)))
    assert is_utf8(utf8) and not utf8.isascii() and 40_000 < len(utf8) < 100_000 and b"\0" not in utf8
    latin = "<html><body><p>" + "Grüße aus Köln, schöne Straßen. " * 600 + "</p></body></html>"
    for body, declared, page, how in [(utf8 + b"\0" * 400, None, utf8.decode(), "utf-8"),
                                      (utf8 + b"\0" * 1000, None, utf8.decode(), "utf-8"),
                                      (b"\0" * 300 + utf8 + b"\0" * 5, None, utf8.decode(), "utf-8"),
                                      (latin.encode("cp1252") + b"\0" * 1000, "iso-8859-1", latin, "cp1252")]:
        assert decode_html(body, declared) == (page, how, True)
        assert decode_html_utf8(body, declared) == (page.encode(), how, True)
    # Control bytes inside the page: their share of the page decides, wherever they lie.
    for at in (1000, len(utf8) // 2 + 200, len(utf8) - 10):      # near the start, the middle, the end
        while utf8[at] >= 0x80:                                   # between characters
            at += 1
        run = utf8[:at] + b"\x01\x1b" * 200 + utf8[at:]            # under 1 % of the page
        assert decode_html_utf8(run) == (run, "utf-8", False) and decode_html(run) == (run.decode(), "utf-8", False)
    junk = b"".join(utf8[i:i + 900] + b"\x02" * 100 for i in range(0, len(utf8), 900))   # 10 % throughout
    assert decode_html_utf8(junk)[0] is None and decode_html(junk)[0] is None
    assert decode_html_utf8(b"\0" * 5000)[:2] == (None, "100% control characters in UTF-8")
    p = tmp_path / "padded.warc.gz"
    p.write_bytes(record("http://x.example/a", utf8 + b"\0" * 400, "text/html")
                  + record("http://x.example/b", utf8, "text/html; charset=utf-8"))
    for batches in (False, True):
        src = SourceConfig(name="s", format="warc", paths=[str(p)])
        state = ReadState()
        items = list(read_source_file(src, str(p), state, batches=batches))
        docs = [d for i in items for d in (i.docs() if isinstance(i, DocBatch) else [i])]
        assert [d.html_str for d in docs] == [utf8.decode()] * 2, batches
        assert [d.metadata.get("flags") for d in docs] == [["decoded_lossy"], None], batches
        assert state.counters == {"decoded_lossy": 1}, batches

def test_the_detector_sees_the_non_ascii_bytes_of_a_long_page_not_its_head(gold_texts):
    """chardetng is fed at most DETECTOR_SAMPLE bytes (it reads ~5-7 MB/s: 9 ms for a 70 KB page,
    a third of the reader's time on a file with 1% legacy pages): the chunks holding non-ASCII
    bytes with their neighbours. A minified page (one line) whose text follows 30 KB of script
    is still read in its charset, as are pages whose letters lie far apart."""
    from pipeline.readers.decode import DETECTOR_SAMPLE, detector_sample
    script = b"<script>" + b"var a=1;function f(x){return x*2}" * 900 + b"</script>"
    for lang, charset in (("cs", "cp1250"), ("ru", "koi8-r"), ("zh-Hans", "gbk"), ("ja", "shift_jis")):
        text = gold_texts[lang][:3000].encode(charset, "ignore").decode(charset)
        page = script + f"<p>{text}</p>".encode(charset).replace(b"\n", b" ")
        sample = detector_sample(page)
        assert len(page) > 30_000 and len(sample) <= DETECTOR_SAMPLE and not sample.isascii()
        assert sample.translate(None, bytes(range(128)))[:500] == page.translate(None, bytes(range(128)))[:500]
        got = decode_html(page)[0]
        assert got is not None and text.replace("\n", " ") in got, (lang, decode_html(page)[1])
    small = b"<p>caf\xe9</p>"
    assert detector_sample(small) is small


def test_utf8_bytes_path_decides_as_decode_html(shared_data):
    """The reader's path (decode_html_utf8: UTF-8 validated in place, bytes handed on) gives exactly
    decode_html's text, charset, flag and verdict: on every gold page, on each legacy charset with no,
    right and wrong labels, with BOMs, on nearly-UTF-8 and on binary pages."""
    pages = [(lzma.open if f.suffix == ".xz" else gzip.open)(f).read() for f in html_files(shared_data)]
    t = texts(shared_data)
    for lang, charset, wrong in CASES:
        body = f"<html><body><p>{t[lang][:3000]}</p></body></html>"
        pages += [(body.encode(charset, "replace"), label) for label in (None, LABEL[charset], wrong)]
    base = f"<html><body><p>{t['en'][:3000]}</p></body></html>"
    pages += [codecs.BOM_UTF8 + base.encode(), codecs.BOM_UTF16_LE + base.encode("utf-16-le"),
              codecs.BOM_UTF32_BE + base.encode("utf-32-be"), base.encode("utf-16-be"),
              f"<p>{t['ja'][:500]}</p>".encode("iso2022_jp", "ignore"),
              b"<pre>prompt\x1b$ ls</pre>" + b"<p>an ASCII page with a stray ESC $</p>" * 20,
              base.encode() + b"\0" * 64,                                      # UTF-8, NUL padded
              codecs.BOM_UTF8 + b"\xff" + base.encode(),                      # a BOM over broken UTF-8
              base.encode().replace("’".encode(), b"\x92", 2),                # UTF-8 with stray cp1252 bytes
              bytes(range(256)) * 40, b"<p>" + b"\x01\x02" * 500 + b"</p>",    # binary and control junk
              b"<p>ascii only</p>", b"<p>\xed\xa0\x80 surrogate</p>", b"<p>\xc0\x80 overlong</p>"]
    outcomes = Counter()
    for page in pages:
        body, declared = page if isinstance(page, tuple) else (page, None)
        text, how, lossy = decode_html(body, declared)
        assert decode_html_utf8(body, declared) == (None if text is None else text.encode(), how, lossy)
        assert is_utf8(body) == _strict_utf8(body)
        outcomes["garbage" if text is None else "lossy" if lossy else how] += 1
    # every branch was taken: strict UTF-8, BOMs, legacy charsets, nearly-UTF-8, garbage
    assert {"utf-8", "utf-8-sig", "utf-16", "utf-32", "utf-16-be", "iso2022_jp", "cp1252", "gb18030", "cp932", "lossy",
            "garbage"} <= set(outcomes), outcomes


def _strict_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_a_few_gbk_symbols_in_an_unlabelled_page_are_chinese_and_cp1252_symbols_stay():
    """A page whose only non-ASCII bytes are a few GBK punctuation pairs ("（C）", "、") passed the
    windows-1252 shortcut for pages of symbols ("£¨C£©"): whole GB2312 pairs that the single-byte
    reading makes no word of are Chinese. Real windows-1252 symbols (©, —, curly quotes, ±, °)
    are single bytes and stay."""
    nav = "<p>Products | Downloads | Support | Contact us</p>\n" * 30
    zh = f"<html><body>{nav}<p>Copyright（C）2005 ACME 、All rights reserved</p></body></html>"
    assert decode_html(zh.encode("gbk")) == (zh, "gb18030", False)
    en = f"<html><body>{nav}<p>Copyright © 2005 ACME — “quoted” ±0.5 °C</p></body></html>"
    assert decode_html(en.encode("cp1252")) == (en, "cp1252", False)


def test_a_damaged_charset_label_is_unknown_not_a_crash():
    """A flipped byte made an HTTP charset label hold a NUL: codecs.lookup raised ValueError and
    the WARC reader stopped there (ingest fuzz seed 554660); a lone surrogate does the same."""
    from pipeline.readers.charsets import canonical
    from pipeline.readers.decode import decode_html_utf8
    assert canonical("utf\x00-8") is None and canonical("\ud800") is None and canonical("UTF-8") == "utf-8"
    for body in (b"<html><body>caf\xc3\xa9</body></html>", b"<html><body>caf\xe9</body></html>"):
        page, how, lossy = decode_html_utf8(body, "utf\x00-8")     # the page as UTF-8 bytes
        assert bytes(page).decode("utf-8") == "<html><body>café</body></html>", how


CJK = [("zh-Hant", "big5"), ("zh-Hans", "gbk"), ("ja", "shift_jis"), ("ja", "euc_jp"), ("ko", "euc-kr")]


@pytest.mark.parametrize("lang,charset", CJK, ids=[c for _, c in CJK])
def test_a_cjk_page_damaged_or_cut_inside_a_character_is_read_in_its_charset_flagged_lossy(
        gold_texts, lang, charset):
    """A byte damaged in a legacy CJK page, or its end cut inside a character (Common Crawl cuts
    pages at 1 MiB), fails the strict reading: the page came out as cp1252 or cp874 mojibake
    (chardetng gave up Big5 for a cut last character). Now the detector's multi-byte charset is
    read with U+FFFD where a sequence does not decode, flagged lossy."""
    text = gold_texts[lang][:3000].encode(charset, "ignore").decode(charset)
    head = "<html><head><title>t</title></head><body><p>"
    page = f"{head}{text}</p></body></html>".encode(charset)
    hole = len(text) // 2
    at = len((head + text[:hole]).encode(charset))                      # a lead byte, mid-page
    damaged = page[:at] + b"\xff" + page[at + 1:]
    cut = (head + text).encode(charset)[:-1]                             # the last character's first byte
    family = {"big5": {"big5hkscs"}, "gbk": {"gb18030"}, "shift_jis": {"cp932"}, "euc_jp": {"euc_jp"},
              "euc-kr": {"cp949", "euc_kr"}}[charset]
    for name, body in (("damaged", damaged), ("cut", cut)):
        for declared in (None, charset):
            got, how, lossy = decode_html(body, declared)
            assert got is not None and how in family, (name, declared, how)
            assert lossy or name == "damaged", (name, declared, how)   # cp932 reads 0xFF as U+F8F3
            # the text before the hole is there as written (after it, a pair may be misaligned)
            assert text[:hole - 1] in got, (name, declared, how, got[:120])


@pytest.mark.parametrize("lang,charset", [("zh-Hant", "big5"), ("zh-Hans", "gbk"), ("ja", "shift_jis")])
@pytest.mark.parametrize("size", [1500, 3000, 6000])
@pytest.mark.parametrize("where", ["top", "end"])
def test_a_legacy_page_with_a_piece_in_utf8_is_read_in_its_charset_not_as_other_hanzi(gold_texts, lang, charset,
                                                                                     size, where):
    """A header, footer, ad or widget in UTF-8 pasted into a Big5 page fails the strict Big5 reading
    over dozens of characters: more than one bad sequence in 100, so the page went on to the other
    detectors, and GB18030 (which takes Big5 bytes without an error) gave other hanzi: mojibake that
    looks like Chinese. chardetng, confident of Big5, is now trusted with one bad sequence in 10;
    where the piece is among the bytes chardetng is shown (it rules Big5 out at the piece's first
    byte), it is asked again without the page's runs of UTF-8 characters."""
    text = gold_texts[lang][:size].encode(charset, "ignore").decode(charset)
    piece = b"<div>" + "本站由某某科技提供技术支持，联系电话：400-123-4567，版权所有".encode("utf-8") + b"</div>"
    body = f"<p>{text}</p>".encode(charset)
    body = piece + body if where == "top" else body + piece
    page = b"<html><head><title>t</title></head><body>" + body + b"</body></html>"
    got, how, _ = decode_html(page)
    assert got is not None and text in got, (how, got[:80])


@pytest.fixture(scope="module")
def sentences(shared_data) -> dict[str, list[str]]:
    by: dict[str, list[str]] = {}
    with open(shared_data / "text/multilingual_sentences.tsv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            by.setdefault(r["lang_iso639_1"], []).append(r["text"])
    return by


def fitting(sentences, lang: str, charset: str, n: int) -> list[str]:
    """The language's first n sentences with a letter beyond ASCII that the charset holds."""
    out = [s for s in sentences[lang] if not s.isascii() and s.encode(charset, "ignore").decode(charset) == s][:n]
    assert len(out) == n, (lang, charset)
    return out


def html_page(text: str, meta: str | None = None) -> str:
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    return f"<html><head>{head}<title>t</title></head><body><p>{text}</p></body></html>"


# (language, real charset, a wrong label naming a charset of the same script)
SIBLINGS = [("ru", "cp1251", "koi8-r"), ("ru", "koi8-r", "windows-1251"), ("bg", "cp1251", "koi8-r"),
            ("uk", "cp1251", "koi8-u"), ("pl", "iso8859-2", "windows-1250"), ("pl", "cp1250", "iso-8859-2"),
            ("cs", "iso8859-2", "windows-1250"), ("cs", "cp1250", "iso-8859-2"), ("tr", "cp1254", "iso-8859-2"),
            ("tr", "cp1254", "windows-1250"), ("ko", "euc-kr", "gb2312"), ("ko", "euc-kr", "euc-jp")]


@pytest.mark.parametrize("lang,charset,wrong", SIBLINGS, ids=[f"{c[0]}-{c[1]}-as-{c[2]}" for c in SIBLINGS])
def test_a_wrong_label_naming_a_sibling_charset_is_overruled(sentences, lang, charset, wrong):
    """A specific label (not windows-1252) naming another charset of the page's script reads strictly
    and plausibly as mojibake ("Так" as "рЮЙ", Korean as other hanzi under gb2312), and was kept,
    unflagged, whether the header or the <meta> said it: chardetng, sure of the page's own charset,
    now overrules it where that reading is clearly less messy or uchardet reads the page the same."""
    text = " ".join(fitting(sentences, lang, charset, 8))
    for declared, meta in ((wrong, None), (None, wrong)):
        body = html_page(text, meta).encode(charset)
        mojibake = body.decode(canonical(wrong))          # the trap: the wrong label reads strictly
        assert text not in mojibake
        got, how, lossy = decode_html(body, declared, url="http://www.example.com/")
        assert text in got and not lossy, (declared, meta, how, got[60:140])


@pytest.mark.parametrize("lang,charset,wrong", [("ru", "cp1251", "koi8-r"), ("cs", "iso8859-2", "windows-1250"),
                                                ("ko", "euc-kr", "gb2312")])
def test_a_header_and_meta_that_disagree_give_the_right_reading_either_way(sentences, lang, charset, wrong):
    """A server's header and the page's <meta> naming different charsets: one is wrong. A wrong header
    over a right <meta> was taken as it stood (the <meta> was read only when the header's reading
    failed); a right header over a wrong <meta> must stay."""
    right = {"cp1251": "windows-1251", "iso8859-2": "iso-8859-2", "euc-kr": "euc-kr"}[charset]
    text = " ".join(fitting(sentences, lang, charset, 8))
    for header, meta in ((wrong, right), (right, wrong)):
        got, how, lossy = decode_html(html_page(text, meta).encode(charset), header)
        assert text in got and not lossy, (header, meta, how, got[100:160])


def test_the_less_messy_of_two_disagreeing_labels_wins_without_the_detector(sentences, monkeypatch):
    """The rule of the conflict on its own (chardetng made unsure): the <meta> reading that is
    clearly less messy than the header's wins over it, and the header's wins over the <meta>."""
    from pipeline.readers import decode
    monkeypatch.setattr(decode.EncodingDetector, "guess_assess", lambda self, tld, allow_utf8: ("windows-1252", False))
    for lang, charset, right, wrong in (("ru", "cp1251", "windows-1251", "koi8-r"),
                                        ("ko", "euc-kr", "euc-kr", "gb2312")):
        text = " ".join(fitting(sentences, lang, charset, 8))
        for header, meta in ((wrong, right), (right, wrong)):
            got, how, _ = decode_html(html_page(text, meta).encode(charset), header)
            assert (how, text in got) == (canonical(right), True), (header, meta)


# (language, charset, its label): charsets that detectors confuse with a sibling
RIGHT = [("ru", "cp1251", "windows-1251"), ("ru", "koi8-r", "koi8-r"), ("uk", "koi8-u", "koi8-u"),
         ("bg", "cp1251", "windows-1251"), ("pl", "cp1250", "windows-1250"), ("pl", "iso8859-2", "iso-8859-2"),
         ("cs", "iso8859-2", "iso-8859-2"), ("hu", "cp1250", "windows-1250"), ("lt", "cp1257", "windows-1257"),
         ("sk", "cp1250", "windows-1250"), ("el", "iso8859-7", "iso-8859-7"), ("tr", "cp1254", "windows-1254"),
         ("zh-Hant", "big5", "big5"), ("zh-Hans", "gbk", "gbk"), ("ja", "shift_jis", "shift_jis"),
         ("ja", "euc_jp", "euc-jp"), ("ko", "euc-kr", "euc-kr")]


@pytest.mark.parametrize("lang,charset,label", RIGHT, ids=[c[1] for c in RIGHT])
def test_a_right_label_is_never_moved_to_another_charset(sentences, gold_texts, lang, charset, label):
    """The other side: under its right label a page keeps it, long or short, with many letters or
    a few (single sentences, a few words amid English), where chardetng, given little, is sure of
    a sibling (it takes short Polish windows-1250 pages for ISO-8859-2, Hungarian ones for
    windows-1252), in the header and in the <meta>."""
    if lang in gold_texts and lang in ("zh-Hant", "zh-Hans", "ja"):
        whole = gold_texts[lang].encode(charset, "ignore").decode(charset).replace("\n", " ")
        texts_ = [whole[i:i + n] for n in (8, 30, 150, 2500) for i in range(0, 6 * n, n)]
    else:
        some = fitting(sentences, lang, charset, 40)
        en = "".join(c for c in gold_texts["en"][:800] if c.isascii())
        texts_ = [*some, " ".join(some), *(f"{en} {' '.join(s.split()[:3])}." for s in some[:15])]
    texts_ = [t for t in texts_ if not t.isascii()]
    assert len(texts_) >= 15
    for text in texts_:
        for header, meta in ((label, None), (None, label)):
            got, how, lossy = decode_html(html_page(text, meta).encode(charset), header, url="http://www.example.com/")
            assert text in got and not lossy, (text, header, meta, how)
