"""Stack Exchange data dumps: Posts.xml (plain or compressed), one document per question thread.

The dump is cut into its `<row …/>` elements (`frame_rows`) and each is parsed on its own with lxml,
so one damaged row is quarantined with its reason and the rows after it are still read (one
`iterparse` over the file stops at the first well-formedness error: a flipped byte lost the rest of
the dump). The dump's own packaging, a `.7z` a site (or a table, for Stack Overflow), is read too:
Posts.xml is unpacked (py7zr) into a scratch folder first. The cut is exact: a literal `<` cannot
occur inside an attribute value, so each `<` starts the next piece; junk between rows, a row cut
off, or a dump without its closing tag are quarantined, and a row repeated in an open thread is
counted and read once. A row whose only fault is a reference (`&#x8;`, a bare `&`) is repaired
(`_repaired`, counted); a question row beyond repair is `bad_row` and its answers are counted
with it, not called orphans. Answers join their question by `ParentId`. A dump is too large to hold
(Stack Overflow's Posts.xml: ~100 GB), so a thread is written once it is complete by its
question's `AnswerCount`, and memory holds the threads still open. The count is trusted, but
not blindly, as edited dumps and third-party exports get it wrong:
- a question without `AnswerCount` (or not a number) is held until the end of the file, since only
  then can no answer of it come (memory grows with such questions only; answers deleted before the
  dump likewise leave their thread open until the end);
- a thread complete by its count is kept `_GRACE_ROWS` (1,000) rows more before it is written:
  answers past a stale count that follow closely (exports that group a question with its answers)
  join it, counted as `stackexchange_answers_past_answer_count`; memory: at most that many threads;
- an answer coming later still, its thread written, is quarantined as `late_answer` (detail: the
  answer, its question and the question's declared AnswerCount), never filed as an orphan. Telling
  it from an orphan costs one bit a question id (`_Written`: ~10 MB for Stack Overflow); a
  question row repeated after its thread was written is counted as a duplicate, not written twice.
Answers are ordered accepted first, then by score (ties by id). Every answer row is accounted for:
in a document, or counted with why it is not (its score, its question's score, its thread
quarantined, its question missing, `late_answer`). Bodies are HTML, turned back into Markdown-like
text by `stackexchange_html` (paragraphs, lists, quotations, code verbatim, `<sup>`/`<sub>` kept).
The dump's file names are matched whatever their case (`posts.xml` too). With `include_comments`,
the comments table is read first and each post's comments follow it: the `Comments.xml` beside
Posts.xml (same case and compression, else any case or compression), the one in the site's `.7z`,
or, for Stack Overflow's one-archive-a-table layout, the `Comments.xml` of `<site>-Comments.7z`
beside `<site>-Posts.7z`.
When there is none, one `missing_comments` item names what was looked for (the user's paths, not
the scratch folder) and the posts are read without comments; the item is a note about the dump and
stands for no input record (`records=0`: counted as one, it was a document read, `814 docs in` for
813 threads). The comments wait in a temporary SQLite file while the posts are read
(stackexchange_comments: Stack Overflow's ~90 million do not fit in a worker's memory).

Attribution travels in the metadata: site, question id, link, the author of every post (user id
or display name) and the licences of the posts: each post's `ContentLicense` where the dump has it
(dumps since 2019; a post's licence follows its last edit, not its creation), else the CC BY-SA
version Stack Exchange states for its creation date (2.5 before 2011-04-08, 3.0 before
2018-05-02, 4.0 since). Tags are read in both spellings dumps have used: `<a><b>` and, since
2024, `|a|b|`.
"""
from __future__ import annotations

import errno
import logging
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Iterator

from lxml import etree
from pydantic import Field

from pipeline import storage
from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, open_utf8
from pipeline.readers.guarded import open_input
from pipeline.readers.stackexchange_comments import CommentStore, scratch_failed
from pipeline.readers.stackexchange_html import html_to_text  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

QUESTION, ANSWER = "1", "2"
_HOSTNAME = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_TABLE_ARCHIVE = re.compile(r"(.+)-(Posts|Comments|Users|Votes|Badges|Tags|PostHistory|PostLinks)", re.I)
_POSTS_FILE = re.compile(r"Posts\.xml(\.(gz|bz2|xz|zst))?", re.I)
_COMMENTS_FILE = re.compile(r"Comments\.xml(\.(gz|bz2|xz|zst))?", re.I)
# A thread complete by its question's AnswerCount is kept this many rows more: answers past a
# stale count that follow it closely (exports grouping a question with its answers) join it.
_GRACE_ROWS = 1000
# Before the first row: the XML declaration, a DOCTYPE (`<!DOCTYPE posts SYSTEM 'posts.dtd'>` in
# some dumps), comments and the root's start tag. None of it is data, and none of it is damage.
_PROLOGUE = re.compile(rb"<\?xml[^<>]*\?>|<!DOCTYPE[^<>]*>|<!--[^<]*-->|<[A-Za-z]+\s*>", re.S | re.I)
_COMMENT = re.compile(rb"<!--[^<]*-->", re.S)
_CLOSE = re.compile(rb"</[A-Za-z]+\s*>")
_ROW_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
# What real dumps get wrong inside a row (openzim/sotoki#311): a reference to a character XML
# forbids (`&#x8;`, `&#x0E;`: control characters pasted into a post), the raw control character,
# an `&` that starts no reference. Each costs the row's well-formedness, not its data.
_REFERENCE = re.compile(rb"&(?:#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)?")
_XML_ENTITIES = {b"&lt;", b"&gt;", b"&amp;", b"&quot;", b"&apos;"}
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A damaged row's post id and whether it is a question, for the items about it and its answers
_ROW_ID = re.compile(rb"\sId=[\"'](\d+)[\"']")
_ROW_KIND = re.compile(rb"\sPostTypeId=[\"']1[\"']")
# The machine's own failures besides storage.STORAGE_ERRNOS: no file handles or memory left
_MACHINE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM})


def cc_by_sa_version(created: str) -> str:
    """The licence Stack Exchange states for content created at this ISO date."""
    if created < "2011-04-08":
        return "CC BY-SA 2.5"
    return "CC BY-SA 3.0" if created < "2018-05-02" else "CC BY-SA 4.0"


def tags(value: str) -> list[str]:
    """A question's tags: `<a><b>` (dumps before 2024) or `|a|b|` (since)."""
    if value.startswith("|"):
        return [t for t in value.split("|") if t]
    return re.findall(r"<([^<>]+)>", value)


@dataclass
class _Thread:
    question: dict | None = None
    answers: list[dict] = field(default_factory=list)

    def declared(self) -> int | None:
        """The question's `AnswerCount`, or None when it has none (or not a number)."""
        value = (self.question or {}).get("AnswerCount", "").strip()
        return int(value) if value.isascii() and value.isdigit() else None

    def complete(self) -> bool:
        """Its question is read and holds the answers it declares. A question without AnswerCount
        is never complete: its answers can come until the end of the file."""
        n = self.declared()
        return n is not None and len(self.answers) >= n


class _Written:
    """The questions whose thread is written, to tell an answer that comes after it (`late_answer`)
    from one whose question is not in the file, and a repeated question row from a new one. One
    bit a numeric id, in 8 KB pages of 65,536 ids (Stack Overflow's ~80 million ids: ~10 MB; a
    stray huge id costs one page), other ids in a set; the declared AnswerCount of the last
    `_RECENT` threads, for the quarantine item's detail."""
    _RECENT = 1 << 16

    def __init__(self) -> None:
        self.pages: dict[int, bytearray] = {}
        self.other: set[str] = set()
        self.recent: dict[str, int | None] = {}

    def add(self, qid: str, declared: int | None) -> None:
        if qid.isascii() and qid.isdigit():
            i = int(qid)
            self.pages.setdefault(i >> 16, bytearray(8192))[(i >> 3) & 8191] |= 1 << (i & 7)
        else:
            self.other.add(qid)
        self.recent[qid] = declared
        if len(self.recent) > self._RECENT:
            del self.recent[next(iter(self.recent))]

    def __contains__(self, qid: str) -> bool:
        if qid.isascii() and qid.isdigit():
            i = int(qid)
            page = self.pages.get(i >> 16)
            return page is not None and bool(page[(i >> 3) & 8191] & (1 << (i & 7)))
        return qid in self.other


class StackExchangeReader(Reader):
    """Stack Exchange dump XML: one document per question with its answers (CC BY-SA, attributed)."""
    name = "stackexchange"
    # 2: <sup>, <sub> and the strike tags kept as written (stackexchange_html); `missing_comments`
    # counts no input record
    version = "2"

    site: str | None = Field(
        None, description="site host, e.g. coffee.stackexchange.com (default: the dump's directory name, "
                          "or the .7z archive's name, without a table suffix such as -Posts)")
    min_question_score: int | None = Field(None, description="questions scoring lower are skipped (counted); null: all")
    min_answer_score: int | None = Field(None, description="answers scoring lower are dropped (counted); null: all")
    keep_accepted_answer: bool = Field(True, description="keep the accepted answer whatever its score")
    include_comments: bool = Field(
        False, description="append each post's comments from the Comments.xml beside Posts.xml (or in the "
                           "site's .7z; Stack Overflow: <site>-Comments.7z beside <site>-Posts.7z)")

    def read(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        base = posixpath.basename(path)
        if base.endswith(".7z"):
            yield from self._read_archive(path, src, state)
            return
        if not _POSTS_FILE.fullmatch(base):
            state.count("stackexchange_other_files_skipped")   # Users.xml, Votes.xml, ... are read via Posts
            return
        with CommentStore() as comments:
            if self.include_comments:
                found, looked_for = _comments_beside(path)
                yield from _load_comments(found, looked_for, comments, path)
            site = self._site(posixpath.basename(posixpath.dirname(path)), path, state)
            yield from self._read_posts(path, src, state, site, comments)

    def _site(self, name: str, path: str, state: ReadState) -> str:
        """The site's host: the `site` option, else the dump's folder or archive name without a
        table suffix (`stackoverflow.com-Posts`: stackoverflow.com). A name that is no host name
        (`extracted/Posts.xml`) is kept for the ids, counted and warned about, and gives no link."""
        if self.site:
            return self.site
        table = _TABLE_ARCHIVE.fullmatch(name)
        site = table.group(1) if table else name
        if not _HOSTNAME.match(site):
            state.count("stackexchange_site_unknown")
            log.warning("%s: %r names no Stack Exchange site: its documents get no link (set the source's "
                        "`site`, e.g. coffee.stackexchange.com)", path, site)
        return site

    def _read_archive(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        """A dump as the Internet Archive distributes it: one .7z a site (`coffee.stackexchange.com.7z`)
        or, for Stack Overflow, one a table (`stackoverflow.com-Posts.7z`, its comments in
        `stackoverflow.com-Comments.7z` beside it). Posts.xml (and Comments.xml) are unpacked into a
        scratch folder, read as any dump, and removed."""
        import tempfile
        site = posixpath.basename(path).removesuffix(".7z")
        table = _TABLE_ARCHIVE.fullmatch(site)
        if table:
            if table.group(2).lower() != "posts":
                state.count("stackexchange_other_files_skipped")  # stackoverflow.com-Users.7z, ...
                return
        site = self._site(site, path, state)
        with tempfile.TemporaryDirectory(prefix="stackexchange-") as scratch, CommentStore() as comments:
            wanted = ["posts.xml"] + (["comments.xml"] if self.include_comments and not table else [])
            found, items, listed = _unpack(path, wanted, os.path.join(scratch, "posts"))
            if listed is not None and "posts.xml" not in listed:
                yield Quarantined("nothing_read", f"{path}: no Posts.xml in the archive", 0, path)
                return
            yield from items
            if "posts.xml" not in found:
                return
            # What was unpacked before damage is read: its rows, then its cut end, counted.
            if self.include_comments and table:     # Stack Overflow: the Comments table's own archive
                sibling, looked_for = _sibling_archive(path, table)
                cfound = None
                if sibling is not None:
                    got, items, listed = _unpack(sibling, ["comments.xml"], os.path.join(scratch, "comments"))
                    yield from items
                    cfound = got.get("comments.xml")
                    looked_for = (f"{sibling}: no Comments.xml in the archive"
                                  if listed is not None and "comments.xml" not in listed else None)
                yield from _load_comments(cfound, looked_for, comments, path, _member_label(sibling, cfound))
            elif self.include_comments:
                missing = None if items else f"{path}: no Comments.xml in the archive"
                cfound = found.get("comments.xml")
                yield from _load_comments(cfound, missing, comments, path, _member_label(path, cfound))
            # Items name the user's archive and its member, not the scratch file (gone after the read).
            yield from self._read_posts(found["posts.xml"], src, state, site, comments,
                                        _member_label(path, found["posts.xml"]))

    def _read_posts(self, path: str, src, state: ReadState, site: str, comments: CommentStore,
                    label: str | None = None) -> Iterator[Doc | Quarantined]:
        """The threads of a Posts.xml; `label`: what items call the file (default: its path)."""
        label = label or path
        threads: dict[str, _Thread] = {}            # question or declared answers still to come
        held: dict[str, tuple[_Thread, int]] = {}   # complete: kept _GRACE_ROWS rows for answers past the count
        written = _Written()
        unreadable: set[str] = set()                # questions whose row is quarantined bad_row
        rows = 0
        for row in _rows(path, src, "row", state, label):
            if isinstance(row, Quarantined):
                if row.reason == "bad_row" and row.id and _ROW_KIND.search(row.sample[:4096]):
                    unreadable.add(row.id)
                yield row
                continue
            rows += 1
            while held and next(iter(held.values()))[1] + _GRACE_ROWS < rows:
                yield from self._write(held.pop(next(iter(held)))[0], site, comments, state, written)
            offset = row.pop("\0offset")
            kind, pid = row.get("PostTypeId"), row.get("Id")
            if not pid or kind not in (QUESTION, ANSWER):
                if pid and kind:
                    state.count("stackexchange_other_posts")   # tag wikis, moderator nominations, ...
                else:
                    yield Quarantined("bad_post", f"{label}: row {rows}: no Id or PostTypeId", offset, pid)
                continue
            if kind == ANSWER and not row.get("ParentId"):
                yield Quarantined("bad_post", f"{label}: answer {pid} has no ParentId", offset, pid)
                continue
            key = pid if kind == QUESTION else row["ParentId"]
            if key in held:
                t = held[key][0]
            elif key in written:
                if kind == QUESTION:
                    state.count("stackexchange_duplicate_rows")     # the question again, its thread written
                    continue
                state.count("stackexchange_answers")
                state.count("stackexchange_late_answers")
                declared = written.recent.get(key, "")
                said = f"AnswerCount={declared}" if declared != "" else "its AnswerCount"
                yield Quarantined(
                    "late_answer", f"{label}: answer {pid} to question {key} came after that thread was written: "
                    f"the question declares {said}, that many answers came first, and this one more than "
                    f"{_GRACE_ROWS} rows later (a stale AnswerCount)", offset, pid,
                    sample=(row.get("Body") or "").encode()[:4096])
                continue
            else:
                t = threads.setdefault(key, _Thread())
            if (t.question if kind == QUESTION else any(a["Id"] == pid for a in t.answers)):
                state.count("stackexchange_duplicate_rows")     # the same post twice: read once
                continue
            if kind == QUESTION:
                state.count("stackexchange_questions")
                t.question = row
            else:
                state.count("stackexchange_answers")
                t.answers.append(row)
                if key in held:
                    state.count("stackexchange_answers_past_answer_count")
            if key in threads and t.complete():
                held[key] = (threads.pop(key), rows)
        for key in list(held):
            yield from self._write(held.pop(key)[0], site, comments, state, written)
        for key in list(threads):          # questions without AnswerCount, or counting answers not in the dump
            t = threads.pop(key)
            if t.question is None and key in unreadable:
                # Its question is in the file, but its row is quarantined (bad_row): the answers
                # are counted with it, not called answers to a question missing from the file.
                state.count("stackexchange_unreadable_question_answers", len(t.answers))
                continue
            if t.question is None:
                state.count("stackexchange_orphan_answers", len(t.answers))
                yield Quarantined("orphan_answer", f"answers to question {key} not in this file", -1, key)
                continue
            yield from self._write(t, site, comments, state, written)

    def _write(self, t: _Thread, site: str, comments: CommentStore, state: ReadState,
               written: _Written) -> Iterator[Doc | Quarantined]:
        written.add(t.question["Id"], t.declared())
        yield from self._emit(t, site, comments, state)

    def _emit(self, t: _Thread, site: str, comments: CommentStore, state: ReadState) -> Iterator[Doc | Quarantined]:
        q = t.question
        qid = q["Id"]
        if self.min_question_score is not None and _score(q) < self.min_question_score:
            state.count("stackexchange_low_score_questions")
            if t.answers:                 # dropped with their question: counted, not lost
                state.count("stackexchange_low_score_question_answers", len(t.answers))
            return
        accepted = q.get("AcceptedAnswerId")
        answers = []
        for a in t.answers:
            if (self.min_answer_score is not None and _score(a) < self.min_answer_score
                    and not (self.keep_accepted_answer and a["Id"] == accepted)):
                state.count("stackexchange_low_score_answers")
                continue
            answers.append(a)
        answers.sort(key=lambda a: (a["Id"] != accepted, -_score(a), int(a["Id"]) if a["Id"].isdigit() else 0))
        try:
            parts = [q.get("Title", "").strip(), self._post_text(q, comments)]
            parts += [f"Answer{' (accepted)' if a['Id'] == accepted else ''}:\n{self._post_text(a, comments)}"
                      for a in answers]
        except (etree.ParserError, ValueError) as e:
            yield Quarantined("bad_html", f"question {qid}: {type(e).__name__}: {e}", -1, qid)
            if answers:                   # the quarantine item is one for the thread; its answers counted
                state.count("stackexchange_quarantined_thread_answers", len(answers))
            return
        text = "\n\n".join(p for p in parts if p)
        if not text.strip():
            yield Quarantined("empty_document", f"question {qid}: no text", -1, qid)
            if answers:
                state.count("stackexchange_quarantined_thread_answers", len(answers))
            return
        posts = [q, *answers]
        meta = {"site": site, "question_id": qid, "title": q.get("Title"),
                "tags": tags(q.get("Tags") or ""),
                "score": _score(q), "accepted_answer_id": accepted,
                "answer_ids": [a["Id"] for a in answers], "answer_scores": [_score(a) for a in answers],
                "authors": [_author(p) for p in posts],
                "license": ", ".join(sorted({p.get("ContentLicense") or cc_by_sa_version(p.get("CreationDate", ""))
                                             for p in posts})),
                "created": q.get("CreationDate")}
        url = f"https://{site}/questions/{qid}" if _HOSTNAME.match(site) else None
        yield Doc(f"{site}/{qid}", url, text=text, metadata=meta)

    def _post_text(self, post: dict, comments: CommentStore) -> str:
        text = html_to_text(post.get("Body") or "")
        notes = comments.texts(post["Id"])
        if notes:
            text += "\n\nComments:\n" + "\n".join(f"- {note.strip()}" for note in notes)
        return text


def _comments_name(posts: str) -> str:
    """Comments.xml's name beside this Posts.xml, in the same case (`posts.xml.gz` → `comments.xml.gz`)."""
    head = posts[:5]
    word = "COMMENTS" if head.isupper() else "comments" if head.islower() else "Comments"
    return word + posts[5:]


def _score(post: dict) -> int:
    try:
        return int(post.get("Score") or 0)
    except ValueError:
        return 0


def _author(post: dict) -> str | None:
    uid = post.get("OwnerUserId")
    return f"user:{uid}" if uid else post.get("OwnerDisplayName")


def frame_rows(stream, max_bytes: int) -> Iterator[tuple[str, bytes, int]]:
    """The dump cut before each `<`: ("piece", bytes, offset), or ("too_large", first bytes, offset)
    for a piece over max_bytes (skipped without being held in memory). Offsets are in the
    decompressed stream; read errors of the decompressor propagate after every piece before them,
    and the piece they cut: a whole row with junk glued after it (damage) is still a row."""
    buf, base, pos, skipping = b"", 0, 0, False
    while True:
        try:
            chunk = stream.read1(1 << 20)
        except Exception:
            if not skipping and pos < len(buf):
                yield "piece", buf[pos:], base + pos
            raise
        buf, base, pos = buf[pos:] + chunk, base + pos, 0
        while (j := buf.find(b"<", pos + (not skipping and buf[pos:pos + 1] == b"<"))) >= 0:
            if not skipping and j > pos:
                yield "piece", buf[pos:j], base + pos
            pos, skipping = j, False
        if not chunk:
            if not skipping and pos < len(buf):
                yield "piece", buf[pos:], base + pos
            return
        if not skipping and len(buf) - pos > max_bytes:
            if buf.startswith(b"<row", pos) and buf.find(b"/>", pos, pos + max_bytes) >= 0:
                # A whole row with a huge run of junk glued after it (damage): the row and the
                # junk's head are one piece (the row parser cuts the row out), the rest is skipped.
                yield "piece", buf[pos:pos + max_bytes], base + pos
                pos += max_bytes
            yield "too_large", buf[pos:pos + 4096], base + pos
            skipping = True
        if skipping:
            pos = len(buf)


def _parse_row(text: bytes) -> tuple[dict, bytes, bool] | None:
    """A `<row …/>` piece's attributes, any junk after its end and whether its references had to
    be repaired (`_repaired`), or None if it does not parse even so."""
    parsed = _parse_strict(text)
    if parsed is not None:
        return *parsed, False
    fixed = _repaired(text)
    parsed = _parse_strict(fixed) if fixed != text else None
    return None if parsed is None else (*parsed, True)


def _xml_char(code: int) -> bool:
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _reference(m: re.Match) -> bytes:
    ref = m.group()
    if ref[:2] == b"&#":
        code = int(ref[3:-1], 16) if ref[2:3] in b"xX" else int(ref[2:-1])
        return ref if _xml_char(code) else b""      # a control character: no text lost
    if ref in _XML_ENTITIES:
        return ref
    return b"&amp;" + ref[1:]     # `&` as text, or an HTML entity (`&nbsp;`) the body's HTML parser reads


def _repaired(text: bytes) -> bytes:
    """The row with its references made well-formed: invalid character references and control
    characters dropped, a bare `&` (or an entity XML does not define) escaped. Hand-written rather
    than lxml's recovering parser (`recover=True`): that one also "recovers" a row cut short or
    one with an unclosed quote, silently dropping the attributes after it, where this changes
    nothing but references, so a row damaged otherwise is still `bad_row`."""
    return _REFERENCE.sub(_reference, _CONTROL.sub(b"", text))


def _parse_strict(text: bytes) -> tuple[dict, bytes] | None:
    """A `<row …/>` piece's attributes and any junk after its end, or None if it does not parse."""
    try:
        return dict(etree.fromstring(text, _ROW_PARSER).attrib), b""
    except etree.XMLSyntaxError:
        pass
    end = 0
    for _ in range(3):                  # junk glued after the row: try the first few "/>" as its end
        end = text.find(b"/>", end) + 2
        if end < 2:
            return None
        try:
            return dict(etree.fromstring(text[:end], _ROW_PARSER).attrib), text[end:]
        except etree.XMLSyntaxError:
            continue
    return None


def _rows(path: str, src, what: str, state: ReadState, label: str | None = None) -> Iterator[dict | Quarantined]:
    """The rows of a dump file as attribute dicts (with their offset under "\0offset"), and a
    quarantine item for each damaged piece (`label`: what the items call the file, default its
    path). A row whose only fault is its references is repaired (`_repaired`) and counted as
    `stackexchange_rows_recovered`."""
    label = label or path
    max_bytes = src.max_doc_bytes if src is not None else 64 << 20
    closed = started = False
    offset = 0
    try:
        with open_utf8(path, state, sniff=True) as f:     # compression by content, counted
            for kind, data, offset in frame_rows(f, max_bytes):
                if kind == "too_large":
                    yield Quarantined("too_large", f"{label}: a {what} over {max_bytes} bytes", offset,
                                      size=max_bytes, sample=data)
                    continue
                text = data.strip() if offset else data.removeprefix(b"\xef\xbb\xbf").strip()   # a BOM
                if not text or (not started and _PROLOGUE.fullmatch(text)):
                    started = started or text[:2] not in (b"", b"<?", b"<!")
                    continue
                if text[:4] == b"<!--" and _COMMENT.fullmatch(text):     # a comment between rows
                    continue
                if text[:4] == b"<row" and text[4:5] in b" \t\r\n/":
                    parsed = _parse_row(text)
                    if parsed is None:
                        pid = _ROW_ID.search(text[:4096])
                        yield Quarantined("bad_row", f"{label}: a <row> that is not well-formed XML", offset,
                                          pid.group(1).decode() if pid else None, size=len(data),
                                          sample=data[:4096])
                        continue
                    row, junk, recovered = parsed
                    if recovered:
                        state.count("stackexchange_rows_recovered")
                    row["\0offset"] = offset
                    yield row
                    if not junk.strip():
                        continue
                    data, offset = junk, offset + len(text) - len(junk)
                elif _CLOSE.fullmatch(text):
                    closed = True
                    continue
                yield Quarantined("junk", f"{label}: bytes that are not a <row> between rows", offset,
                                  size=len(data), sample=data[:4096])
    except (OSError, EOFError, ValueError) as e:       # CorruptStream: every row before it was read
        yield Quarantined("corrupt_compression", f"{label}: after offset {offset}: {type(e).__name__}: {e}",
                          offset, label)
        return
    if not closed:
        yield Quarantined("truncated", f"{label}: no closing tag: the file ends after offset {offset}",
                          offset, label)


def _comments_beside(posts: str) -> tuple[str | None, str]:
    """The comments table beside a Posts.xml: `Comments.xml` in the same case and compression
    (`posts.xml.gz` → `comments.xml.gz`), else any `comments.xml[.gz|.bz2|.xz|.zst]` in the folder
    whatever its case. Returns (the file or None, what was looked for, said for the user)."""
    folder, base = posixpath.split(posts)
    same = posixpath.join(folder, _comments_name(base))
    found = _beside(posts, same, _COMMENTS_FILE.fullmatch)
    return found, "" if found else (f"no comments table beside {posts}: looked for {same} and any "
                                    f"Comments.xml[.gz|.bz2|.xz|.zst] in {folder or '.'}")


def _beside(path: str, same: str, matches) -> str | None:
    """`same` (a file in `path`'s folder) if it is there, else the first file of that folder whose
    name `matches`, else None."""
    import fsspec
    folder = posixpath.dirname(path)
    fs = fsspec.core.url_to_fs(path)[0]
    if fs.exists(same):
        return same
    try:
        names = sorted(posixpath.basename(n) for n in fs.ls(folder or ".", detail=False))
    except (OSError, ValueError):
        names = []
    return next((posixpath.join(folder, n) for n in names if matches(n)), None)


def _sibling_archive(posts_archive: str, table: re.Match) -> tuple[str | None, str]:
    """Stack Overflow's comments archive beside its posts archive: `stackoverflow.com-Posts.7z` →
    `stackoverflow.com-Comments.7z` (same case first, then any case). Returns (the archive or
    None, what was looked for, said for the user)."""
    word = table.group(2)
    want = f"{table.group(1)}-{'COMMENTS' if word.isupper() else 'comments' if word.islower() else 'Comments'}.7z"
    same = posixpath.join(posixpath.dirname(posts_archive), want)
    found = _beside(posts_archive, same, lambda name: name.lower() == want.lower())
    return found, "" if found else \
        f"{same} not found beside {posts_archive} (Stack Overflow's comments come in their own archive)"


def _unpack(archive: str, wanted: list[str], scratch: str) -> tuple[dict[str, str], list[Quarantined], set | None]:
    """The members of a .7z named (lower case, any folder) in `wanted`, unpacked into scratch.
    Returns {name: unpacked file}, a `corrupt_archive` item if unpacking failed (what was unpacked
    before the damage is still returned, if not empty), and the archive's member names (None if it
    could not be listed). The machine failing under the scratch folder while unpacking (a full disk
    or quota, an I/O error, no file handles left) is no damage of the archive: StorageFailed, which
    stops the run naming both (the half-written member was read as a cut archive before)."""
    import py7zr
    targets: dict[str, str] = {}
    listed = None
    items: list[Quarantined] = []
    unpacking = False
    try:
        with open_input(archive) as f, py7zr.SevenZipFile(f) as z:
            names = {posixpath.basename(n).lower(): n for n in z.getnames()}
            listed = set(names)
            targets = {w: names[w] for w in wanted if w in names}
            if targets:
                unpacking = True
                z.extract(scratch, targets=list(targets.values()))
    except Exception as e:  # noqa: BLE001 - py7zr raises its own, lzma's, zlib's, bcj's errors
        if unpacking and isinstance(e, OSError) and (storage.failing(e) or e.errno in _MACHINE_ERRNOS):
            scratch_failed(e, e.errno, str(e.strerror or e),
                           f"unpacking {', '.join(targets.values())} of {archive} into the scratch folder {scratch}")
        # py7zr's words for a cut archive ("next header size 24 exceeds the archive size") do not
        # say what is wrong with the file: said first, unless it is no damage (an unsupported
        # method, a password, a system error with its errno)
        damage = not isinstance(e, (py7zr.exceptions.UnsupportedCompressionMethodError,
                                    py7zr.exceptions.PasswordRequired, py7zr.exceptions.DecompressionBombError,
                                    py7zr.exceptions.AbsolutePathError)) \
            and not (isinstance(e, OSError) and e.errno is not None)
        items.append(Quarantined("corrupt_archive", f"{archive}: {'the 7z archive is truncated or damaged: ' * damage}"
                                 f"{type(e).__name__}: {' '.join(str(e).split())}", 0, archive))
    found = {}
    for w, name in targets.items():
        p = os.path.join(scratch, name)
        if os.path.isfile(p) and (not items or os.path.getsize(p)):
            found[w] = p
    return found, items, listed


def _member_label(archive: str, unpacked: str | None) -> str | None:
    """What items call a file unpacked from an archive: the archive and the member's name."""
    return None if unpacked is None else f"{archive} ({os.path.basename(unpacked)})"


def _load_comments(path: str | None, looked_for: str | None, into: CommentStore,
                   posts: str, label: str | None = None) -> Iterator[Quarantined]:
    """The comments of `path` into `into` (by post id); without a file, one `missing_comments`
    item saying what was looked for (None: the reason is already reported). `label`: what items
    call the file (default: its path)."""
    if path is None:
        if looked_for:
            yield Quarantined("missing_comments", f"{looked_for} (include_comments)", -1, posts, records=0)
        return
    q = _read_comments(path, into, label)
    if q is not None:
        yield q


def _read_comments(path: str, into: CommentStore, label: str | None = None) -> Quarantined | None:
    import fsspec
    if not fsspec.core.url_to_fs(path)[0].exists(path):
        return Quarantined("missing_comments", f"{label or path} not found (include_comments)", -1, label or path,
                           records=0)
    problem = None
    for row in _rows(path, None, "comment", ReadState(), label):
        if isinstance(row, Quarantined):
            problem = problem or row        # a damaged comment: the others are still attached
        elif row.get("PostId"):
            into.add(row)
    into.finish()
    return problem
