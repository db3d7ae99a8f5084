"""Remove documents by URL: blocked domains (with their subdomains), blocked URLs, banned substrings.

Block lists are plain files named in the recipe: one domain or URL per line, `#` comments; lines
in hosts-file form (`0.0.0.0 ads.example.com`, as in many public lists) are read too. Hosts are
normalised the same way for lists and documents: lowercase, internationalised names in their
ASCII (punycode) form, userinfo, port, trailing dots and a leading `www.` removed. The whole
batch is handled by Arrow kernels: a blocked domain also blocks its subdomains by checking the
host, then the host minus its first label, and so on, each step one `is_in` over the batch.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from pipeline.stage import Filter, Judgement, check_files_exist

# scheme (optional), userinfo (optional), host (bracketed IPv6 or up to : / ? #), then the rest
_URL_PARTS = (r"^\s*(?:[a-zA-Z][a-zA-Z0-9+.\-]*:)?(?://)?(?:[^@/?#\s]*@)?"
              r"(?P<host>\[[^\]]*\]|[^:/?#\s]*)(?::\d*)?(?P<rest>[^#\s]*)")
_IP_ADDRESS = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|::1?|[0-9a-f:]+)$", re.I)
# a domain never has more labels than this; stops the parent-domain walk
_MAX_LABELS = 127


def normalise_hosts(urls: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """(host, key) per URL: normalised host, and host + path/query without a trailing slash."""
    parts = pc.extract_regex(urls, _URL_PARTS)
    host = _ascii_hosts(pc.utf8_lower(pc.struct_field(parts, "host")))
    host = pc.replace_substring_regex(host, r"\.+$", "")
    host = pc.replace_substring_regex(host, r"^www\d*\.", "")
    rest = pc.replace_substring_regex(pc.struct_field(parts, "rest"), r"/+$", "")
    key = pc.binary_join_element_wise(host, rest, "")
    return host, key


def _ascii_hosts(host: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Internationalised hosts in their ASCII form (中国.cn -> xn--fiqs8s.cn), the form crawlers
    record and most lists use, so a list entry and a URL match whichever form each is written in.
    Python's IDNA codec (IDNA 2003: nameprep folds case and width, 。 is a dot); a host it cannot
    encode stays as it is. Only the rare non-ASCII hosts leave Arrow."""
    if pc.all(pc.fill_null(pc.string_is_ascii(host), True)).as_py() is not False:
        return host
    return pa.array([h if h is None or h.isascii() else _idna(h) for h in host.to_pylist()], pa.string())


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def normalise_entry(entry: str) -> tuple[str, str]:
    """('domain', host) or ('url', key) for one block-list or allowlist entry."""
    host, key = normalise_hosts(pa.array([entry]))
    host_s, key_s = host[0].as_py() or "", key[0].as_py() or ""
    return ("url", key_s) if key_s != host_s else ("domain", host_s)


def read_list_file(path: Path) -> list[str]:
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        fields = line.split()
        if len(fields) >= 2 and _IP_ADDRESS.match(fields[0]):  # hosts-file line
            fields = fields[1:]
        entries.extend(fields[:1])
    return entries


class _Lookup:
    """Domains and URL keys of one list, ready for `is_in` over a batch."""

    def __init__(self, entries: list[str]):
        domains, urls = set(), set()
        for e in entries:
            kind, value = normalise_entry(e)
            if value:
                (urls if kind == "url" else domains).add(value)
        self.domains = pa.array(sorted(domains), pa.string())
        self.urls = pa.array(sorted(urls), pa.string())

    def domain_hit(self, host: pa.Array) -> np.ndarray:
        """True where the host or one of its parent domains is listed."""
        hit = np.zeros(len(host), dtype=bool)
        if not len(self.domains):
            return hit
        current = host
        for _ in range(_MAX_LABELS):
            hit |= pc.fill_null(pc.is_in(current, value_set=self.domains), False).to_numpy(zero_copy_only=False)
            parent = pc.replace_substring_regex(current, r"^[^.]*\.", "", max_replacements=1)
            if pc.all(pc.fill_null(pc.equal(parent, current), True)).as_py():
                break
            current = parent
        return hit

    def url_hit(self, key: pa.Array) -> np.ndarray:
        if not len(self.urls):
            return np.zeros(len(key), dtype=bool)
        return pc.fill_null(pc.is_in(key, value_set=self.urls), False).to_numpy(zero_copy_only=False)


class URLFilter(Filter):
    """Reasons: `blocked_domain`, `blocked_url`, `banned_substring`. Documents without a URL pass."""
    name: ClassVar[str] = "url_filter"
    version: ClassVar[str] = "1"

    blocklist_files: list[str] = Field(default_factory=list, description="Block-list files: one domain or URL per line, # comments, hosts-file lines accepted")
    blocked: list[str] = Field(default_factory=list, description="Domains or URLs blocked inline in the recipe (same meaning as file entries)")
    banned_substrings: list[str] = Field(default_factory=list, description="Case-insensitive substrings that remove a document when found anywhere in its URL")
    allowlist: list[str] = Field(default_factory=list, description="Domains (with subdomains) or URLs that are never removed, whatever the lists say")
    url_field: str = Field(default="url", description="Column holding the URL")

    def input_columns(self) -> set[str]:
        return super().input_columns() | {self.url_field}

    def check_recipe(self, recipe, stage_id: str) -> None:
        check_files_exist("blocklist_files", self.blocklist_files)

    def setup(self) -> None:
        entries = list(self.blocked)
        for f in self.blocklist_files:
            path = Path(f)
            if not path.is_file():
                raise FileNotFoundError(f"url_filter: block list {f} not found")
            entries.extend(read_list_file(path))
        self._block = _Lookup(entries)
        self._allow = _Lookup(list(self.allowlist))
        subs = [s.lower() for s in self.banned_substrings if s]
        self._banned = "|".join(re.escape(s) for s in subs) if subs else None

    def judge(self, batch: pa.Table) -> Judgement:
        urls = batch.column(self.url_field)
        if isinstance(urls, pa.ChunkedArray):
            urls = urls.combine_chunks()
        n = len(urls)
        host, key = normalise_hosts(urls)
        has_url = pc.fill_null(pc.greater(pc.utf8_length(urls), 0), False).to_numpy(zero_copy_only=False)
        allowed = self._allow.domain_hit(host) | self._allow.url_hit(key)
        banned = np.zeros(n, dtype=bool)
        if self._banned:
            banned = pc.fill_null(pc.match_substring_regex(pc.utf8_lower(urls), self._banned), False)
            banned = banned.to_numpy(zero_copy_only=False)
        reasons = np.full(n, None, dtype=object)
        live = has_url & ~allowed
        reasons[live & banned] = "banned_substring"
        reasons[live & self._block.url_hit(key)] = "blocked_url"
        reasons[live & self._block.domain_hit(host)] = "blocked_domain"
        return Judgement(reasons.tolist())
