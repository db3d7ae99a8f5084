"""url_filter: host normalisation, subdomains, URL entries, substrings, allowlist; documents without
a URL counted; lists without entries refused, compressed lists read; what each entry form means
(www hosts, URLs, Squid/Adblock forms, hosts lines, UT1 URL prefixes); datatrove's word rules."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.documents import documents_table
from pipeline.stage import StageError
from stages.url_filter import URLFilter, _squeeze, line_entries, normalise_entry, normalise_hosts, read_list_file


def _docs(urls) -> pa.Table:
    return documents_table([{"id": str(i), "source": "t", "url": u, "text": "x"} for i, u in enumerate(urls)])


def test_host_normalisation():
    host, key = normalise_hosts(pa.array([
        "https://User:pw@WWW.Example.COM.:8080/a/b/?q=1#frag", "example.com", "//www3.example.com/x/",
        "http://[2001:db8::1]:80/p", None, ""]))
    assert host.to_pylist() == ["example.com", "example.com", "example.com", "[2001:db8::1]", None, ""]
    assert key.to_pylist() == ["example.com/a/b/?q=1", "example.com", "example.com/x", "[2001:db8::1]/p", None, ""]


def test_internationalised_domains_match_in_either_form():
    # A list may name 中国.cn or xn--fiqs8s.cn; a crawler records the ASCII form, a page link either.
    urls = ["https://xn--fiqs8s.cn/a", "https://www.中国.cn/a", "http://news.中国。cn/", "https://例子.测试/p",
            "https://xn--fsqu00a.xn--0zwm56d/q", "https://中国.com/"]
    for blocked in (["中国.cn", "https://例子.测试/p"], ["xn--fiqs8s.cn", "xn--fsqu00a.xn--0zwm56d/p"]):
        res = URLFilter(blocked=blocked)(_docs(urls))
        assert res.removed.column("url").to_pylist() == urls[:4], blocked
        assert res.kept.column("url").to_pylist() == urls[4:]


def test_blocklist_file_subdomains_urls_and_allowlist(tmp_path: Path):
    lst = tmp_path / "block.txt"
    lst.write_text("# adult and spam hosts\nbad.org   # trailing comment\n0.0.0.0 tracker.net\n"
                   "https://www.example.com/private/page/\n\nBLOCKED.IO.\n", encoding="utf-8")
    assert read_list_file(lst) == ["bad.org", "tracker.net", "https://www.example.com/private/page/", "BLOCKED.IO."]
    urls = ["http://sub.bad.org/x", "https://BAD.ORG:443", "https://notbad.org/", "http://a.b.tracker.net/p",
            "https://good.bad.org/ok", "https://example.com/private/page", "https://example.com/private/page/2",
            "https://blocked.io/", "https://cheap-casino.example/", None, "", "https://example.com/"]
    res = URLFilter(blocklist_files=[str(lst)], banned_substrings=["CASINO"], allowlist=["good.bad.org"])(_docs(urls))
    removed = dict(zip(res.removed.column("url").to_pylist(), res.removed.column("reason").to_pylist()))
    assert removed == {
        "http://sub.bad.org/x": "blocked_domain", "https://BAD.ORG:443": "blocked_domain",
        "http://a.b.tracker.net/p": "blocked_domain", "https://example.com/private/page": "blocked_url",
        "https://blocked.io/": "blocked_domain", "https://cheap-casino.example/": "banned_substring"}
    assert res.kept.column("url").to_pylist() == [
        "https://notbad.org/", "https://good.bad.org/ok", "https://example.com/private/page/2", None, "",
        "https://example.com/"]


def test_inline_block_and_missing_file(tmp_path: Path):
    res = URLFilter(blocked=["example.com"])(_docs(["https://www.example.com/a", "https://example.org/"]))
    assert res.removed.column("reason").to_pylist() == ["blocked_domain"]
    with pytest.raises(FileNotFoundError):
        URLFilter(blocklist_files=[str(tmp_path / "missing.txt")]).ensure_setup()


def test_annotate_only_keeps_everything():
    res = URLFilter(blocked=["example.com"], annotate_only=True)(_docs(["https://example.com/", "https://x.org/"]))
    assert res.removed is None and res.kept.num_rows == 2
    assert res.kept.column(res.kept.column_names[-1]).to_pylist() == ["blocked_domain", None]
    # what removing would have removed, counted by reason (they were in the column only)
    assert res.counters.get("would_remove/blocked_domain") == 1 and "would_remove/None" not in str(res.counters)


def test_a_run_where_no_document_has_a_url_warns(tmp_path: Path, ray_local):
    """The URL in a field the source does not name (`link`): every document counted no_url, none
    judged, and the run said nothing (casino URLs kept, exit 0); now the summary and report warn."""
    import json

    from pipeline import run_recipe
    rows = [{"id": f"d{i}", "link": f"https://online-casino{i}.example/", "text": "Some text here. " * 20}
            for i in range(3)]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\noutput: {tmp_path / 'out'}\nsources:\n  - {{name: s, format: jsonl, paths: [{data}]}}\n"
                      f"stages:\n  - {{stage: url_filter, banned_substrings: [casino]}}\n")
    stats = run_recipe(str(recipe), output=str(tmp_path / "out"), quiet=True)
    (w,) = [w for w in stats["warnings"] if w["stage"] == "url_filter"]
    assert w["message"].startswith("url_filter: every one of the 3 documents it was given counted no_url: ")
    assert "url_field" in w["message"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "every one of the 3 documents it was given counted no_url" in report


# -- helpers for the cases below ------------------------------------------------------------------
def _reasons(urls, **options) -> dict:
    """{url: reason or None} for each URL, judged by a URLFilter with `options`."""
    verdict = URLFilter(**options).ensure_setup().judge(_docs(urls))
    return dict(zip(urls, verdict.reasons))


def _removed(urls, **options) -> list:
    return [u for u, r in _reasons(urls, **options).items() if r is not None]


# -- 1. documents that cannot be judged are counted -------------------------------------------------
def test_documents_without_url_or_host_are_kept_and_counted():
    urls = [None, "", "   ", "https:/no-host", "/porn/page", "https://example.com/", "https://ok.org/"]
    res = URLFilter(blocked=["example.com"], banned_words=["porn"])(_docs(urls))
    assert dict(zip(res.removed.column("url").to_pylist(), res.removed.column("reason").to_pylist())) == {
        "https://example.com/": "blocked_domain", "/porn/page": "banned_word"}    # no host: words still judged
    assert res.counters == {"no_url": 2, "url_without_host": 3}
    # counted when nothing is configured too, and in annotate_only mode (the stats show them)
    assert URLFilter()(_docs(urls)).counters == {"no_url": 2, "url_without_host": 3}
    assert URLFilter(annotate_only=True)(_docs([None, "x.org"])).counters == {"no_url": 1, "url_without_host": 0}


# -- 2. lists that block nothing, compressed lists ------------------------------------------------
@pytest.mark.parametrize("content", ["", "\n\n", "# only comments\n  # indented\n", "! adblock comment\n"])
def test_list_without_entries_fails_at_load_and_setup(tmp_path: Path, content):
    lst = tmp_path / "adult_domains"
    lst.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"^blocklist_files\[0\]: .*adult_domains.* has no entries"):
        URLFilter(blocklist_files=[str(lst)]).check_recipe(None, "url_filter")
    with pytest.raises(StageError, match=r"^url_filter: block list .*adult_domains has no entries") as e:
        URLFilter(blocklist_files=[str(lst)]).ensure_setup()
    assert "\n" not in str(e.value)


def test_word_file_without_words_fails(tmp_path: Path):
    words = tmp_path / "banned_words.txt"
    words.write_text("#mong\n#poof\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^banned_words_files\[0\]: .* has no entries"):
        URLFilter(banned_words_files=[str(words)]).check_recipe(None, "url_filter")
    with pytest.raises(StageError, match=r"banned_words_files: .*banned_words.txt has no words"):
        URLFilter(banned_words_files=[str(words)]).ensure_setup()


@pytest.mark.parametrize("codec", ["gz", "bz2", "xz", "zst"])
def test_compressed_lists_are_read_decompressed(tmp_path: Path, codec):
    import bz2
    import gzip
    import lzma

    import zstandard
    body = b"# UT1 adult\nbadsite.com\ngeocities.com/hotsex\n"
    packed = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
              "zst": zstandard.ZstdCompressor().compress}[codec](body)
    lst = tmp_path / f"domains.{codec}"
    lst.write_bytes(packed)
    assert read_list_file(lst) == ["badsite.com", "geocities.com/hotsex"]
    URLFilter(blocklist_files=[str(lst)]).check_recipe(None, "url_filter")
    assert _removed(["https://a.badsite.com/", "http://geocities.com/hotsex/1.html", "https://ok.org/"],
                    blocklist_files=[str(lst)]) == ["https://a.badsite.com/", "http://geocities.com/hotsex/1.html"]
    # a gzipped word list too
    words = tmp_path / f"words.{codec}"
    words.write_bytes({"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
                       "zst": zstandard.ZstdCompressor().compress}[codec](b"#c\nporn\n"))
    assert _removed(["https://x.org/porn/1", "https://x.org/pornography"], banned_words_files=[str(words)]) == \
        ["https://x.org/porn/1"]


def test_tar_archive_and_damaged_gzip_are_refused_in_one_line(tmp_path: Path):
    import gzip
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b"badsite.com\n"
        info = tarfile.TarInfo("adult/domains")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    archive = tmp_path / "blacklists.tar.gz"
    archive.write_bytes(buf.getvalue())
    with pytest.raises(StageError, match=r"blacklists.tar.gz is a tar archive.*extract it"):
        URLFilter(blocklist_files=[str(archive)]).ensure_setup()
    with pytest.raises(ValueError, match=r"^blocklist_files\[0\]: list .*blacklists.tar.gz is a tar archive"):
        URLFilter(blocklist_files=[str(archive)]).check_recipe(None, "url_filter")
    damaged = tmp_path / "domains.gz"
    damaged.write_bytes(gzip.compress(b"badsite.com\n" * 1000)[:40])
    with pytest.raises(StageError, match=r"^url_filter: list .*domains.gz cannot be read: ") as e:
        URLFilter(blocklist_files=[str(damaged)]).ensure_setup()
    assert "\n" not in str(e.value)


def test_list_file_with_bom_crlf_and_home_path(tmp_path: Path, monkeypatch):
    lst = tmp_path / "list.txt"
    lst.write_bytes(b"\xef\xbb\xbfbadsite.com\r\n# c\r\nother.org\r\n")
    assert read_list_file(lst) == ["badsite.com", "other.org"]
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _removed(["https://other.org/x"], blocklist_files=["~/list.txt"]) == ["https://other.org/x"]


# -- 3. what an entry means -----------------------------------------------------------------------
@pytest.mark.parametrize("entry, expected", [
    ("example.com", ("domain", "example.com")),
    (".example.com", ("domain", "example.com")),                     # Squid dstdomain
    ("*.example.com", ("domain", "example.com")),
    ("||example.com^", ("domain", "example.com")),                   # Adblock
    ("||example.com^$third-party", ("domain", "example.com")),
    ("example.com:443", ("domain", "example.com")),
    ("localhost:8000", ("domain", "localhost")),
    ("www.example.com", ("host", "example.com")),                     # hosts-file exact host
    ("WWW2.Example.COM.", ("host", "example.com")),
    ("www.com", ("domain", "www.com")),                               # never `com`
    ("www.co", ("domain", "www.co")),
    ("wwwexample.com", ("domain", "wwwexample.com")),
    ("https://example.com/", ("host", "example.com")),               # a URL without a path: the host
    ("http://example.com", ("host", "example.com")),
    ("//www.example.com", ("host", "example.com")),
    ("https://example.com/page/", ("url", "example.com/page")),      # a URL: that URL
    ("https://example.com?x=1", ("url", "example.com?x=1")),
    ("example.com/path", ("prefix", "example.com/path")),            # UT1 urls: a path prefix
    ("www.geocities.com/hotsex/", ("prefix", "geocities.com/hotsex")),
    ("example.com/path?q=1", ("url", "example.com/path?q=1")),
    ("||example.com/ads^", ("prefix", "example.com/ads")),
    ("中国.cn", ("domain", "xn--fiqs8s.cn")),
    ("::1", ("domain", "")),
])
def test_entry_forms(entry, expected):
    assert normalise_entry(entry) == expected


def test_www_entry_is_that_host_not_its_siblings():
    urls = ["https://wordpress.com/", "https://www.wordpress.com/a", "http://www2.wordpress.com/b",
            "https://myblog.wordpress.com/2020/post", "https://wordpress.com.evil.org/"]
    assert _removed(urls, blocked=["www.wordpress.com"]) == urls[:3]
    # `www.com` is the site www.com (and its subdomains), never the whole .com
    urls = ["https://www.com/", "https://a.www.com/", "https://nytimes.com/", "https://en.wikipedia.org.com/x"]
    assert _removed(urls, blocked=["www.com"]) == urls[:2]
    # the bare domain still means the domain and its subdomains
    assert _removed(["https://myblog.wordpress.com/"], blocked=["wordpress.com"]) == ["https://myblog.wordpress.com/"]


def test_url_entries_with_and_without_a_path():
    urls = ["https://example.com/", "https://example.com/any/article", "http://www.example.com:8080/x",
            "https://sub.example.com/", "https://badexample.com/"]
    for entry in ("https://example.com/", "http://example.com", "//example.com"):
        assert _removed(urls, blocked=[entry]) == urls[:3], entry
    urls = ["https://example.com/path", "http://www.example.com/path/", "https://example.com/path#top",
            "https://example.com/path/2", "https://example.com/path?x=1", "https://example.com/pathology",
            "https://example.com/", "https://sub.example.com/path"]
    res = _reasons(urls, blocked=["https://example.com/path"])
    assert [u for u, r in res.items() if r] == urls[:3] and {res[u] for u in urls[:3]} == {"blocked_url"}


@pytest.mark.parametrize("entry", [".example.com", "*.example.com", "||example.com^", "example.com:443",
                                   "0.0.0.0 example.com"])
def test_domain_entry_forms_block_domain_and_subdomains(entry, tmp_path: Path):
    urls = ["https://example.com/", "https://a.b.example.com/x", "https://example.com:443/", "https://badexample.com/",
            "https://example.com.evil.org/", "https://example.org/"]
    assert _removed(urls, blocked=[entry]) == urls[:3]
    lst = tmp_path / "list"
    lst.write_text(entry + "\n", encoding="utf-8")
    assert _removed(urls, blocklist_files=[str(lst)]) == urls[:3]


def test_hosts_file_lines_block_every_host(tmp_path: Path):
    lst = tmp_path / "hosts"
    lst.write_text("127.0.0.1 localhost\n0.0.0.0 a.com b.com   c.com # ad servers\n::1 d.com\n"
                   "fe80::1%lo0 e.com\n255.255.255.255\tf.com\n", encoding="utf-8")
    assert read_list_file(lst) == ["localhost", "a.com", "b.com", "c.com", "d.com", "e.com", "f.com"]
    urls = [f"https://x.{h}.com/p" for h in "abcdef"] + ["https://g.com/", "https://ab.com/"]
    assert _removed(urls, blocklist_files=[str(lst)]) == urls[:6]
    assert _removed(urls, blocked=["0.0.0.0 a.com b.com"]) == urls[:2]          # inline alike
    # a first field of hex letters is no IPv6 address: one entry, the first field
    assert line_entries("cafe.com note") == ["cafe.com"] and line_entries("dead beef.com") == ["dead"]


def test_adblock_lines_that_block_nothing_are_skipped():
    assert [e for line in ["[Adblock Plus 2.0]", "! Title: x", "@@||good.com^", "example.com##.ad-banner",
                           "example.org#@#.x", "||ads.example.net^"] for e in line_entries(line)] == \
        ["||ads.example.net^"]


# -- 4. UT1 / squidGuard url entries: path prefixes at a segment boundary -------------------------
def test_ut1_url_entries_block_the_path_and_below(tmp_path: Path):
    urls = ["http://geocities.com/hotsex", "http://www.geocities.com/hotsex/", "http://geocities.com/hotsex/page1.html",
            "http://geocities.com/hotsex/gallery/2", "http://geocities.com/hotsex?page=2",
            "http://geocities.com/hotsex#a",
            "http://geocities.com/hotsexy", "http://geocities.com/other/hotsex", "http://geocities.com/",
            "http://sub.geocities.com/hotsex/x", "http://geocities.com/HotSex/x"]
    lst = tmp_path / "urls"
    lst.write_text("geocities.com/hotsex\nexample.com/a/b/\n", encoding="utf-8")
    res = _reasons(urls, blocklist_files=[str(lst)])
    assert [u for u, r in res.items() if r] == urls[:6] and {res[u] for u in urls[:6]} == {"blocked_url"}
    deeper = ["https://example.com/a/b", "https://example.com/a/b/c/d", "https://example.com/a/bc",
              "https://example.com/a", "https://example.com/a/x/b"]
    assert _removed(deeper, blocklist_files=[str(lst)]) == deeper[:2]
    # the allowlist takes prefixes too, and wins
    assert _removed(urls[:4], blocked=["geocities.com/hotsex"], allowlist=["geocities.com/hotsex/gallery"]) == urls[:3]


# -- 5. word rules, as datatrove's URLFilter ------------------------------------------------------
def test_banned_words_are_whole_url_tokens():
    urls = ["https://www.essex.ac.uk/news", "https://www.sussex.ac.uk/", "https://en.wikipedia.org/wiki/Middlesex",
            "https://example.com/Sexton_Blake", "http://sex-shop.com/", "https://example.com/SEX/x",
            "https://example.com/a?q=sex", "https://example.com/p_o_r_n"]
    res = _reasons(urls, banned_words=["sex", "Porn"])
    assert [u for u, r in res.items() if r] == urls[4:7] and {res[u] for u in urls[4:7]} == {"banned_word"}
    # banned_substrings as before: a raw substring (essex hit), kept for recipes that use it
    assert _removed(urls, banned_substrings=["sex"]) == urls[:7]


def test_soft_banned_words_need_threshold_different_words():
    urls = ["https://example.com/hot-girls", "https://hot.example.com/nude/", "https://hot.example.com/hot/hot",
            "https://example.com/hot", "https://example.com/hotgirls"]
    res = _reasons(urls, soft_banned_words=["hot", "girls", "nude"])
    assert [u for u, r in res.items() if r] == urls[:2] and {res[u] for u in urls[:2]} == {"soft_banned_words"}
    assert URLFilter().soft_word_threshold == 2                    # datatrove's default
    assert _removed(urls, soft_banned_words=["hot", "girls", "nude"], soft_word_threshold=1) == urls[:4]
    assert _removed(urls, soft_banned_words=["hot", "girls", "nude"], soft_word_threshold=3) == []


def test_banned_subwords_match_the_url_without_separators():
    urls = ["https://HotGirls.example.com/", "https://example.com/hot-girls", "https://example.com/x?v=hot_girls",
            "https://example.com/hot-boys-girls", "https://example.com/hot%20girls", "https://www.essex.ac.uk/"]
    res = _reasons(urls, banned_subwords=["hot girls", "xvideos"])
    assert [u for u, r in res.items() if r] == urls[:3] and {res[u] for u in urls[:3]} == {"banned_subword"}


def test_word_lists_from_files_and_reason_order(tmp_path: Path):
    (tmp_path / "banned_words.txt").write_text("#ass\nporn\n", encoding="utf-8")
    (tmp_path / "soft.txt").write_text("hot\ngirls\n", encoding="utf-8")
    (tmp_path / "subwords.txt").write_text("2 girls 1 cup\n", encoding="utf-8")
    options = dict(banned_words_files=[str(tmp_path / "banned_words.txt")],
                   soft_banned_words_files=[str(tmp_path / "soft.txt")],
                   banned_subwords_files=[str(tmp_path / "subwords.txt")], banned_substrings=["zzz"],
                   blocked=["blocked.com", "example.org/p"], allowlist=["good.org"])
    urls = ["https://x.org/ass", "https://x.org/porn", "https://x.org/hot/girls", "https://x.org/2-girls-1-cup",
            "https://x.org/zzz", "https://blocked.com/porn", "https://example.org/p/hot/girls", "https://good.org/porn",
            "https://blocked.com.good.org/"]
    assert _reasons(urls, **options) == {
        urls[0]: None, urls[1]: "banned_word", urls[2]: "soft_banned_words", urls[3]: "banned_subword",
        urls[4]: "banned_substring", urls[5]: "blocked_domain", urls[6]: "blocked_url", urls[7]: None, urls[8]: None}


@pytest.mark.parametrize("option, bad", [("banned_words", "hot girls"), ("soft_banned_words", "p-o-r-n"),
                                         ("banned_words", "порно"), ("banned_subwords", "--")])
def test_words_that_can_never_match_are_refused(option, bad):
    with pytest.raises(ValueError, match=rf"^url_filter: {option}: .* can never match"):
        URLFilter(**{option: [bad]}).check_recipe(None, "url_filter")
    with pytest.raises(StageError, match="can never match"):
        URLFilter(**{option: [bad]}).ensure_setup()


def test_word_tokens_match_datatrove_normalizer_on_odd_arrays():
    """_squeeze works on the batch's bytes: compare with datatrove's regex on nulls, empties,
    non-ASCII, sliced arrays and large_string (whose offsets need not start at 0)."""
    import random
    import re
    norm = re.compile(r"[^a-zA-Z0-9]+")
    rng = random.Random(7)
    alpha = "aZ09-/._?:é中 %"
    for _ in range(200):
        vals = [None if rng.random() < .1 else "".join(rng.choice(alpha) for _ in range(rng.randint(0, 12)))
                for _ in range(rng.randint(0, 25))]
        arr = pa.array(vals, pa.string())
        if len(vals) > 3 and rng.random() < .5:
            arr, vals = arr.slice(2, len(vals) - 3), vals[2:len(vals) - 1]
        if rng.random() < .3:
            arr = arr.cast(pa.large_string())
        squeezed, tokens, rows = _squeeze(arr)
        assert squeezed.to_pylist() == [norm.sub("", v).lower() if v is not None else "" for v in vals]
        assert list(zip(rows.tolist(), tokens.to_pylist())) == \
            [(i, t.lower()) for i, v in enumerate(vals) if v is not None for t in norm.split(v) if t]


def test_option_descriptions_point_to_the_word_rules():
    fields = URLFilter.model_fields
    assert "essex" in fields["banned_substrings"].description
    assert "banned_words" in fields["banned_substrings"].description
    for name in ("banned_words", "banned_words_files", "soft_banned_words", "soft_banned_words_files",
                 "soft_word_threshold", "banned_subwords", "banned_subwords_files"):
        assert fields[name].description, name
