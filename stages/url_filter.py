"""Remove documents by URL: block lists (domains, hosts, URLs, URL prefixes), banned words in the URL.

Block lists are plain files named in the recipe (`blocklist_files`) or entries inline (`blocked`),
one entry a line, `#` comments (Adblock `!` comments, `@@` exceptions and `##` element-hiding
rules are skipped). A file may be compressed (gzip, bz2, xz, zstd: told from its first bytes, so
UT1's `domains.gz` is read as it is); a file that yields no entry (empty, comments only) or that
is a tar archive (UT1's whole `blacklists.tar.gz`) stops the run at load with one line naming it:
a list that blocks nothing must not pass for one that works. What an entry means:

- `example.com`: the domain and all its subdomains (`a.example.com`; not `badexample.com`).
  `.example.com` (Squid dstdomain), `*.example.com` and `||example.com^` (Adblock) mean the same;
  `example.com:443` is the host `example.com`.
- `www.example.com` (`www`, `www2`, ... then at least two labels): that exact host, as a hosts
  file means it: it blocks `example.com` and its `www` forms, not the other subdomains of
  `example.com` (`www.wordpress.com` does not block `myblog.wordpress.com`). `www.com` is the
  domain `www.com`, never `com`.
- `https://example.com/` or `//example.com` (a URL without a path): that exact host too.
- `https://example.com/page` (a URL with a scheme or `//`, and a path or query): that one URL
  (datatrove's URL list semantics): `https://example.com/page`, `http://www.example.com/page/`
  and `.../page#top` match, `.../page/2` and `.../page?x=1` do not.
- `example.com/page` (host and path, no scheme: UT1/squidGuard `urls` files): that path and every
  path below it, at a path-segment boundary: `geocities.com/hotsex` blocks `/hotsex`,
  `/hotsex/page1.html` and `/hotsex?x=1`, not `/hotsexy`. An entry with a query
  (`example.com/p?id=1`) is that one URL.
- hosts-file lines (`0.0.0.0 a.com b.com`, as in many public lists): every host on the line,
  each read as above (`a.com` a domain with its subdomains).

Hosts are normalised alike in lists and documents: lowercase, internationalised names in their
ASCII (punycode) form, userinfo, port, trailing dots and a leading `www`/`www<N>` label removed
(when two labels remain); paths keep their case, trailing slashes and the fragment are dropped.
The `allowlist` takes the same entries and wins over every rule.

Word rules, as datatrove's URLFilter (its lists are not bundled: name yours inline or as files):
the URL, lower-cased, split on every run of characters other than ASCII letters and digits
gives its tokens (`https://x.com/Hot-Girls?id=1` -> https, x, com, hot, girls, id, 1);
`banned_words` remove a document when one of them is a token (the word `sex` does not hit
`essex.ac.uk`), `soft_banned_words` when at least `soft_word_threshold` different ones are
tokens, and `banned_subwords` when one is a substring of the URL with everything but letters and
digits removed (`hot girls` hits `hot-girls.com` and `hotgirls.com`). `banned_substrings` is the
older rule: a raw case-insensitive substring anywhere in the URL (`sex` hits `essex.ac.uk`).

Documents without a URL (null or empty) are kept and counted (`no_url`); a URL in which no host
is found (`https:/x`) is only judged by the word rules, and counted (`url_without_host`).
The whole batch is handled by Arrow kernels: a domain also blocks its subdomains by checking the
host, then the host minus its first label, and so on, each step one `is_in` over the batch; a
URL prefix of k path segments is one `extract_regex` and one `is_in` for each k the lists hold,
over the URLs whose host has prefix entries; the word rules work on the batch's bytes (numpy)
and one RE2 pass per 250 subwords; the allowlist is looked up for the removed documents only.
"""
from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from pipeline.stage import Filter, Judgement, StageError, check_files_exist
from stages.url_lists import first_entry, line_entries, read_list_file, read_word_file

# Leading space, scheme (optional, `http:` then optionally `//`, or `//`), userinfo (optional),
# host (bracketed IPv6 or up to : / ? #), port, then the path and query (`rest`) up to the fragment
# or a space. Written so that RE2 runs it fast over a batch; `example.com:443` (a host and a port
# with no scheme: the pattern would read `example.com:` as a scheme) is told by _HOST_PORT and read
# with _HOST_PORT_PARTS. `mailto:a@b.com` reads as scheme `mailto:`, userinfo `a`, host b.com.
_URL_PARTS = (r"^\s*(?P<scheme>(?:[a-zA-Z][a-zA-Z0-9+.\-]*:)?(?://)?)(?:[^@/?#\s]*@)?"
              r"(?P<host>\[[^\]]*\]|[^:/?#\s]*)(?::\d*)?(?P<rest>[^#\s]*)")
_HOST_PORT = r"^\s*[^:/?#\s@]+:(?:\d+(?:[/?#\s]|$)|$)"
_HOST_PORT_PARTS = r"^\s*(?P<scheme>)(?P<host>[^:/?#\s@]+):\d*(?P<rest>[^#\s]*)"
# a leading www/www<N> label, removed when at least two labels remain after it (www.com stays)
_WWW = (r"^www\d*\.([^.]+\.[^.])", r"\1")
# a domain never has more labels than this; stops the parent-domain walk
_MAX_LABELS = 127
# path segments of a URL-prefix entry looked up as a prefix; an entry with more is matched whole
_MAX_SEGMENTS = 256
# literal words per RE2 alternation for banned_subwords: one pass over the batch each. RE2 runs an
# alternation of literals as a DFA (as Aho-Corasick: datatrove's ~150 subwords cost ~20 ms per 100k
# URLs); past a few hundred its DFA outgrows RE2's memory budget and it falls back to a 10x slower
# engine (5,000 subwords: 250 a pass ~1 s per 100k URLs, 2,000 a pass ~17 s)
_SUBWORDS_PER_REGEX = 250
_NOT_WORD = r"[^a-z0-9]+"
# bytes of ASCII letters and digits (the characters of a URL token), and each byte lower-cased
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[[*range(0x30, 0x3a), *range(0x41, 0x5b), *range(0x61, 0x7b)]] = True
_LOWER_BYTE = np.arange(256, dtype=np.uint8)
_LOWER_BYTE[0x41:0x5b] += 0x20
_TOKEN = re.compile(r"[a-z0-9]+")


def _url_parts(urls: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """(scheme, host, rest, www) per URL: the scheme as written (`http://`, `//`, `` when none),
    the normalised host, the path and query without trailing slashes, and whether a leading
    `www` label was removed from the host."""
    if isinstance(urls, pa.ChunkedArray):
        urls = urls.combine_chunks()
    parts = pc.extract_regex(urls, _URL_PARTS)
    scheme, host, rest = (pc.struct_field(parts, f) for f in ("scheme", "host", "rest"))
    host_port = pc.fill_null(pc.match_substring_regex(urls, _HOST_PORT), False)
    if pc.any(host_port).as_py():       # rare: `example.com:443`, `localhost:8000/x`
        fixed = pc.extract_regex(pc.filter(urls, host_port), _HOST_PORT_PARTS)
        scheme, host, rest = (pc.replace_with_mask(v, host_port, pc.struct_field(fixed, f))
                              for v, f in ((scheme, "scheme"), (host, "host"), (rest, "rest")))
    host = _ascii_hosts(pc.utf8_lower(host))
    host = pc.replace_substring_regex(host, r"\.+$", "")
    bare = pc.replace_substring_regex(host, *_WWW, max_replacements=1)
    rest = pc.replace_substring_regex(rest, r"/+$", "")
    www = pc.fill_null(pc.not_equal(bare, host), False)
    return scheme, bare, rest, www


def normalise_hosts(urls: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """(host, key) per URL: normalised host, and host + path/query without a trailing slash."""
    _, host, rest, _ = _url_parts(urls)
    return host, pc.binary_join_element_wise(host, rest, "")


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


# -- list entries ---------------------------------------------------------------------------------
def _classify(entries: list[str]) -> dict[str, pa.Array]:
    """Entries (one each, as `line_entries` gives them) sorted into the kinds the module docstring
    describes: {"domain": hosts, "host": hosts, "url": keys, "prefix": keys}, each unique. Done
    over all entries at once in Arrow (a 4-million-line UT1 list in seconds)."""
    arr = pc.utf8_trim_whitespace(pc.replace_substring_regex(pa.array(entries, pa.string()), "^\ufeff", ""))
    adblock = pc.starts_with(arr, "||")
    arr = pc.if_else(adblock, pc.replace_substring_regex(arr, r"^\|\|([^^$|]*).*$", r"\1"), arr)
    wild = pc.match_substring_regex(arr, r"^\*?\.")
    arr = pc.replace_substring_regex(arr, r"^\*?\.", "", max_replacements=1)
    scheme, host, rest, www = _url_parts(arr)
    ok = pc.fill_null(pc.greater(pc.utf8_length(host), 0), False)
    has_rest = pc.fill_null(pc.greater(pc.utf8_length(rest), 0), False)
    has_scheme = pc.fill_null(pc.greater(pc.utf8_length(scheme), 0), False)
    key = pc.binary_join_element_wise(host, rest, "")
    segments = pc.count_substring(rest, "/")
    exact_url = pc.and_(has_rest, pc.or_(pc.or_(has_scheme, pc.match_substring(rest, "?")),
                                         pc.greater(segments, _MAX_SEGMENTS)))
    prefix = pc.and_(has_rest, pc.invert(exact_url))
    one_host = pc.and_(pc.invert(has_rest), pc.and_(pc.invert(pc.or_(adblock, wild)), pc.or_(has_scheme, www)))
    domain = pc.and_(pc.invert(has_rest), pc.invert(one_host))

    def pick(values, mask):
        return pc.unique(pc.filter(values, pc.and_(ok, mask)))

    return {"domain": pick(host, domain), "host": pick(host, one_host), "url": pick(key, exact_url),
            "prefix": pick(key, prefix)}


def normalise_entry(entry: str) -> tuple[str, str]:
    """(kind, value) for one block-list or allowlist entry: ('domain', host) blocks the host and its
    subdomains, ('host', host) that host only (with its www forms), ('url', key) that one URL,
    ('prefix', key) that URL and the paths below it; ('domain', '') when no host is found."""
    for kind, values in _classify([entry]).items():
        if len(values):
            return kind, values[0].as_py()
    return "domain", ""


class _Lookup:
    """Domains, exact hosts, URL keys and URL-prefix keys of a list, ready for `is_in` over a batch."""

    def __init__(self, kinds: dict[str, pa.Array]):
        self.domains, self.hosts, self.urls = kinds["domain"], kinds["host"], kinds["url"]
        prefixes = kinds["prefix"]
        # prefix keys by their number of path segments: a URL's prefix of k segments is looked up
        # among the entries of k segments
        self.prefixes: dict[int, pa.Array] = {}
        self.prefix_hosts = pa.array([], pa.string())
        if len(prefixes):
            segs = pc.count_substring(prefixes, "/")
            for k in sorted(pc.unique(segs).to_pylist()):
                self.prefixes[k] = pc.filter(prefixes, pc.equal(segs, k))
            self.prefix_hosts = pc.unique(pc.list_element(pc.split_pattern(prefixes, "/", max_splits=1), 0))

    @classmethod
    def of(cls, entries: list[str]) -> "_Lookup":
        return cls(_classify(entries))

    @classmethod
    def union(cls, lookups: list["_Lookup"]) -> "_Lookup":
        def joined(arrays):
            arrays = [a for a in arrays if len(a)]
            return pc.unique(pa.concat_arrays(arrays)) if arrays else pa.array([], pa.string())
        return cls({"domain": joined([x.domains for x in lookups]), "host": joined([x.hosts for x in lookups]),
                    "url": joined([x.urls for x in lookups]),
                    "prefix": joined([p for x in lookups for p in x.prefixes.values()])})

    def __len__(self) -> int:
        return len(self.domains) + len(self.hosts) + len(self.urls) + sum(map(len, self.prefixes.values()))

    def domain_hit(self, host: pa.Array) -> np.ndarray:
        """True where the host (exact-host entries) or the host or one of its parent domains
        (domain entries) is listed."""
        hit = _in(host, self.hosts)
        if not len(self.domains):
            return hit
        current = host
        for _ in range(_MAX_LABELS):
            hit |= _in(current, self.domains)
            parent = pc.replace_substring_regex(current, r"^[^.]*\.", "", max_replacements=1)
            if pc.all(pc.fill_null(pc.equal(parent, current), True)).as_py():
                break
            current = parent
        return hit

    def url_hit(self, key: pa.Array, host: pa.Array) -> np.ndarray:
        """True where the URL key is listed, or its first k path segments are a k-segment prefix
        entry (looked for only in the URLs whose host has prefix entries)."""
        hit = _in(key, self.urls)
        if self.prefixes:
            rows = np.flatnonzero(_in(host, self.prefix_hosts))
            if len(rows):
                keys = key.take(pa.array(rows))
                for k, values in self.prefixes.items():
                    head = pc.struct_field(pc.extract_regex(keys, rf"^(?P<p>[^/?]*(?:/[^/?]*){{{k}}})"), "p")
                    hit[rows[_in(head, values)]] = True
        return hit

    def hit(self, host: pa.Array, key: pa.Array) -> np.ndarray:
        return self.domain_hit(host) | self.url_hit(key, host)


def _in(values: pa.Array, value_set: pa.Array) -> np.ndarray:
    if not len(value_set):
        return np.zeros(len(values), dtype=bool)
    return pc.fill_null(pc.is_in(values, value_set=value_set), False).to_numpy(zero_copy_only=False)


class URLFilter(Filter):
    """Reasons, the first that applies in this order: `blocked_domain` (a domain or host entry),
    `blocked_url` (a URL or URL-prefix entry), `banned_word`, `soft_banned_words`, `banned_subword`
    (datatrove's order), `banned_substring`. Documents without a
    URL are kept, counted (`no_url`); a URL with no host is judged by the word rules alone, counted
    (`url_without_host`)."""
    name: ClassVar[str] = "url_filter"
    adds: ClassVar[frozenset[str]] = frozenset()
    # 2: www.X is an exact host, URLs without a path are hosts, scheme-less host/path entries are
    # prefixes, `.x`/`*.x`/`||x^`/`x:443` entries, every host of a hosts line, word rules.
    version: ClassVar[str] = "2"
    idle_counters: ClassVar[dict[str, str]] = {"no_url": (
        "no document had a URL, so none was judged (is it in another field? a JSONL or Parquet source's "
        "`url_field` names it; or scope the stage with apply_to)")}

    blocklist_files: list[str] = Field(default_factory=list, description=(
        "Block-list files: one entry a line, # comments; compressed (.gz, .bz2, .xz, .zst) read as they are; "
        "hosts-file lines (every host on the line). `example.com`, `.example.com`, `*.example.com`, "
        "`||example.com^`: the domain and its subdomains; `www.example.com` and `https://example.com/`: that "
        "host only; `https://example.com/p`: that URL; `example.com/p` (UT1 urls): that path and the paths "
        "below it. A file with no entry stops the run"))
    blocked: list[str] = Field(default_factory=list, description=(
        "Entries blocked inline in the recipe (same meaning as file entries)"))
    banned_substrings: list[str] = Field(default_factory=list, description=(
        "Case-insensitive raw substrings that remove a document when found anywhere in its URL: `sex` also "
        "hits essex.ac.uk and Middlesex; for words use banned_words / soft_banned_words / banned_subwords"))
    banned_words: list[str] = Field(default_factory=list, description=(
        "Words (ASCII letters and digits) that remove a document when one is a token of its URL: the URL "
        "lower-cased and split on everything but letters and digits (datatrove's banned_words; `sex` does "
        "not hit essex.ac.uk)"))
    banned_words_files: list[str] = Field(default_factory=list, description=(
        "Files of banned_words: one word a line, # comments (datatrove's banned_words.txt form)"))
    soft_banned_words: list[str] = Field(default_factory=list, description=(
        "Words that remove a document when at least `soft_word_threshold` different ones are tokens of its URL "
        "(datatrove's soft_banned_words)"))
    soft_banned_words_files: list[str] = Field(default_factory=list, description=(
        "Files of soft_banned_words: one word a line, # comments"))
    soft_word_threshold: int = Field(default=2, ge=1, description=(
        "Different soft_banned_words among a URL's tokens that remove it (datatrove's default 2)"))
    banned_subwords: list[str] = Field(default_factory=list, description=(
        "Strings that remove a document when found in its URL with everything but ASCII letters and digits "
        "removed, lower-cased (datatrove's banned_subwords: `hot girls` hits hot-girls.com and hotgirls.com)"))
    banned_subwords_files: list[str] = Field(default_factory=list, description=(
        "Files of banned_subwords: one a line, # comments (datatrove's banned_subwords.txt form)"))
    allowlist: list[str] = Field(default_factory=list, description=(
        "Entries never removed, whatever the lists and words say (same meaning as block-list entries)"))
    url_field: str = Field(default="url", description="Column holding the URL")

    def input_columns(self) -> set[str]:
        return super().input_columns() | {self.url_field}

    def _files(self):
        for option, words in (("blocklist_files", False), ("banned_words_files", True),
                              ("soft_banned_words_files", True), ("banned_subwords_files", True)):
            yield option, getattr(self, option), words

    def check_recipe(self, recipe, stage_id: str) -> None:
        for option, files, words in self._files():
            check_files_exist(option, files)
            for i, f in enumerate(files):
                if "://" in f:
                    continue
                try:
                    first = first_entry(f, words)
                except StageError as e:
                    raise ValueError(f"{option}[{i}]: {str(e).removeprefix('url_filter: ')}") from None
                if first is None:
                    raise ValueError(f"{option}[{i}]: {f!r} has no entries (empty, or only comments)")
        _words("banned_words", self.banned_words, token=True)
        _words("soft_banned_words", self.soft_banned_words, token=True)
        _words("banned_subwords", self.banned_subwords, token=False)

    def setup(self) -> None:
        lookups = [_Lookup.of([e for line in self.blocked for e in line_entries(line)])]
        for f in self.blocklist_files:
            entries = read_list_file(f)
            if not entries:
                raise StageError(f"url_filter: block list {f} has no entries (empty, or only comments)")
            lookups.append(_Lookup.of(entries))
            if not len(lookups[-1]):
                raise StageError(f"url_filter: block list {f} has {len(entries):,} lines but no entry with a host "
                                 f"(first: {entries[0][:80]!r})")
        self._block = _Lookup.union(lookups)
        self._allow = _Lookup.of([e for line in self.allowlist for e in line_entries(line)])
        subs = [s.lower() for s in self.banned_substrings if s]
        self._banned = "|".join(re.escape(s) for s in subs) if subs else None
        lists = {}
        for option, token in (("banned_words", True), ("soft_banned_words", True), ("banned_subwords", False)):
            words = list(getattr(self, option))
            for f in getattr(self, f"{option}_files"):
                from_file = read_word_file(f)
                if not from_file:
                    raise StageError(f"url_filter: {option}_files: {f} has no words (empty, or only comments)")
                words += _words(f"{option}_files: {f}", from_file, token)
            lists[option] = sorted(set(_words(option, words, token)))
        self._words = pa.array(lists["banned_words"], pa.large_string())     # as _squeeze's tokens
        self._soft = pa.array(lists["soft_banned_words"], pa.large_string())
        subwords = lists["banned_subwords"]
        self._subwords = ["|".join(subwords[i:i + _SUBWORDS_PER_REGEX])
                          for i in range(0, len(subwords), _SUBWORDS_PER_REGEX)]

    def judge(self, batch: pa.Table) -> Judgement:
        urls = batch.column(self.url_field)
        if isinstance(urls, pa.ChunkedArray):
            urls = urls.combine_chunks()
        n = len(urls)
        host, key = normalise_hosts(urls)
        has_url = pc.fill_null(pc.greater(pc.utf8_length(urls), 0), False).to_numpy(zero_copy_only=False)
        has_host = pc.fill_null(pc.greater(pc.utf8_length(host), 0), False).to_numpy(zero_copy_only=False)
        banned = np.zeros(n, dtype=bool)
        if self._banned:
            banned = pc.fill_null(pc.match_substring_regex(pc.utf8_lower(urls), self._banned), False)
            banned = banned.to_numpy(zero_copy_only=False)
        word, soft, subword = self._word_hits(urls)
        reasons = np.full(n, None, dtype=object)
        reasons[banned] = "banned_substring"
        reasons[subword] = "banned_subword"
        reasons[soft] = "soft_banned_words"
        reasons[word] = "banned_word"
        reasons[self._block.url_hit(key, host)] = "blocked_url"
        reasons[self._block.domain_hit(host)] = "blocked_domain"
        reasons[~has_url] = None
        if len(self._allow) and len(gone := np.flatnonzero(np.not_equal(reasons, None))):
            # the allowlist wins: looked up for the documents a rule removes only
            idx = pa.array(gone)
            reasons[gone[self._allow.hit(host.take(idx), key.take(idx))]] = None
        return Judgement(reasons.tolist(), counters={"no_url": int((~has_url).sum()),
                                                     "url_without_host": int((has_url & ~has_host).sum())})

    def _word_hits(self, urls: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(banned word, soft banned words >= threshold, banned subword) per URL, over the batch."""
        n = len(urls)
        word, soft, subword = (np.zeros(n, dtype=bool) for _ in range(3))
        if not (len(self._words) or len(self._soft) or self._subwords):
            return word, soft, subword
        squeezed, tokens, rows = _squeeze(urls)
        if len(self._words):
            word[rows[_in(tokens, self._words)]] = True
        if len(self._soft):
            # datatrove counts the different soft words among the tokens (a word twice is one)
            at = pc.index_in(tokens, value_set=self._soft)
            found = pc.is_valid(at).to_numpy(zero_copy_only=False)
            pairs = np.unique(rows[found].astype(np.int64) * len(self._soft)
                              + pc.drop_null(at).to_numpy(zero_copy_only=False))
            soft = np.bincount(pairs // len(self._soft), minlength=n) >= self.soft_word_threshold
        for pattern in self._subwords:
            subword |= pc.fill_null(pc.match_substring_regex(squeezed, pattern), False).to_numpy(zero_copy_only=False)
        return word, soft, subword


def _squeeze(urls: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """(squeezed, tokens, rows): each URL lower-cased with every byte but ASCII letters and digits
    removed (datatrove's `normalize`), its tokens (the runs of letters and digits: datatrove's
    `normalizer.split`, lower-cased) as one array, and the URL each token is of. Done on the
    bytes of the batch with numpy (a regex split or replace over the batch cost 5x more); a null
    URL gives "" and no tokens."""
    # (on the bytes: pc.ascii_lower returns a corrupt array for an input whose offsets do not start
    # at 0, as a slice cast to large_string has, in pyarrow 26)
    if not (pa.types.is_string(urls.type) or pa.types.is_large_string(urls.type)):
        urls = urls.cast(pa.string())
    n = len(urls)
    _, offsets_buf, data_buf = urls.buffers()
    kind = np.int64 if pa.types.is_large_string(urls.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=kind)[urls.offset:urls.offset + n + 1].astype(np.int64) \
        if n else np.zeros(1, np.int64)
    base = int(offsets[0])
    data = np.frombuffer(data_buf, dtype=np.uint8)[base:int(offsets[-1])] if data_buf is not None \
        else np.zeros(0, np.uint8)
    keep = _WORD_BYTE[data]
    cum = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(keep, out=cum[1:])
    row_offsets = cum[offsets - base]
    kept = _LOWER_BYTE[data[keep]]
    text = pa.py_buffer(kept)
    squeezed = pa.LargeStringArray.from_buffers(n, pa.py_buffer(row_offsets), text)
    row_start = np.zeros(len(data), dtype=bool)
    starts = offsets[:-1] - base
    row_start[starts[starts < len(data)]] = True
    first = keep.copy()
    first[1:] &= ~keep[:-1] | row_start[1:]
    token_starts = cum[np.flatnonzero(first)]
    token_offsets = np.append(token_starts, len(kept))
    tokens = pa.LargeStringArray.from_buffers(len(token_starts), pa.py_buffer(token_offsets), text)
    rows = np.searchsorted(row_offsets, token_starts, side="right") - 1
    return squeezed, tokens, rows


def _words(where: str, words: list[str], token: bool) -> list[str]:
    """Words normalised as datatrove does (lower-cased; a subword with everything but ASCII letters and
    digits removed); a word that could never match (not one URL token, or nothing left) raises."""
    out = []
    for w in words:
        low = w.strip().lower()
        if not low:
            continue
        if token:
            if not _TOKEN.fullmatch(low):
                raise StageError(f"url_filter: {where}: {w!r} is not one URL token (ASCII letters and digits: a URL "
                                 f"is split on everything else), so it can never match; use banned_subwords")
            out.append(low)
        else:
            squeezed = re.sub(_NOT_WORD, "", low)
            if not squeezed:
                raise StageError(f"url_filter: {where}: {w!r} has no ASCII letter or digit, so it can never match")
            out.append(squeezed)
    return out
