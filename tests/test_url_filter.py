"""url_filter: host normalisation, subdomains, URL entries, substrings, allowlist."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.documents import documents_table
from stages.url_filter import URLFilter, normalise_hosts, read_list_file


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
