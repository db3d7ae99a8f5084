"""Stack Exchange data dumps: Posts.xml (plain or compressed), one document per question thread.

The dump's `<row>` elements are streamed with lxml's iterparse (each cleared once read). Answers
join their question by `ParentId`; a thread is emitted as soon as it holds as many answers as the
question's `AnswerCount`, so memory holds only the threads still open (answers deleted before the
dump leave their thread open until the end of the file). Answers are ordered accepted first, then by
score (ties by id). Bodies are HTML: parsed with lxml and turned into text with paragraphs, lists
and code kept (`<pre>` blocks verbatim inside ``` fences, inline `<code>` in backticks). With
`include_comments`, the `Comments.xml` beside Posts.xml is read first and each post's comments follow it.

Attribution travels in the metadata: site, question id, link, the author of every post (user id
or display name) and the CC BY-SA version of the posts (Stack Exchange: 2.5 before 2011-04-08,
3.0 before 2018-05-02, 4.0 since).
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Iterator

from lxml import etree, html as lxml_html
from pydantic import Field

from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, open_decompressed
from pipeline.readers.latex import tidy_lines

QUESTION, ANSWER = "1", "2"
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
_BLOCKS = {"p", "div", "blockquote", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "dl"}
_HOSTNAME = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


def cc_by_sa_version(created: str) -> str:
    """The licence Stack Exchange states for content created at this ISO date."""
    if created < "2011-04-08":
        return "CC BY-SA 2.5"
    return "CC BY-SA 3.0" if created < "2018-05-02" else "CC BY-SA 4.0"


def html_to_text(body: str) -> str:
    """A post body from HTML to text: blocks as paragraphs, `<pre>` code verbatim in fences."""
    if not body.strip():
        return ""
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    out: list[str] = []
    _walk(root, out)
    return tidy_lines("".join(out))


def _walk(el, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "pre":
        code = el.text_content().rstrip("\n")
        out.append(f"\n\n```\n{code}\n```\n\n")
        return
    if tag == "br":
        out.append("\n")
    elif tag == "li":
        out.append("\n- ")
    elif tag in _BLOCKS:
        out.append("\n\n")
    elif tag == "img" and el.get("alt"):
        out.append(el.get("alt"))
    if tag == "code":
        out.append(f"`{el.text_content()}`")
    else:
        if el.text:
            out.append(_squeeze(el.text))
        for child in el:
            _walk(child, out)
            if child.tail:
                out.append(_squeeze(child.tail))
    if tag in _BLOCKS or tag == "li":
        out.append("\n\n" if tag in _BLOCKS else "")


def _squeeze(s: str) -> str:
    """Runs of whitespace to one space (HTML rendering), skipping the regex when there are none."""
    return _SPACE.sub(" ", s) if ("  " in s or "\n" in s or "\t" in s or "\r" in s) else s


@dataclass
class _Thread:
    question: dict | None = None
    answers: list[dict] = field(default_factory=list)

    def complete(self) -> bool:
        return self.question is not None and len(self.answers) >= int(self.question.get("AnswerCount") or 0)


class StackExchangeReader(Reader):
    """Stack Exchange dump XML: one document per question with its answers (CC BY-SA, attributed)."""
    name = "stackexchange"

    site: str | None = Field(
        None, description="site host, e.g. coffee.stackexchange.com (default: the dump's directory name)")
    min_question_score: int | None = Field(None, description="questions scoring lower are skipped (counted); null: all")
    min_answer_score: int | None = Field(None, description="answers scoring lower are dropped (counted); null: all")
    keep_accepted_answer: bool = Field(True, description="keep the accepted answer whatever its score")
    include_comments: bool = Field(
        False, description="append each post's comments from the Comments.xml beside Posts.xml")

    def read(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        base = posixpath.basename(path)
        if not re.fullmatch(r"Posts\.xml(\.(gz|bz2|xz|zst))?", base):
            state.count("stackexchange_other_files_skipped")   # Users.xml, Votes.xml, ... are read via Posts
            return
        site = self.site or posixpath.basename(posixpath.dirname(path))
        comments: dict[str, list[dict]] = {}
        if self.include_comments:
            cpath = posixpath.join(posixpath.dirname(path), base.replace("Posts", "Comments"))
            q = _read_comments(cpath, comments)
            if q is not None:
                yield q
        threads: dict[str, _Thread] = {}
        offset = 0
        try:
            with open_decompressed(path) as f:
                for _, el in etree.iterparse(f, events=("end",), tag="row", huge_tree=True):
                    offset += 1
                    row = dict(el.attrib)
                    el.clear()
                    while el.getprevious() is not None:       # drop the rows already read
                        del el.getparent()[0]
                    kind, pid = row.get("PostTypeId"), row.get("Id")
                    if not pid or kind not in (QUESTION, ANSWER):
                        if pid and kind:
                            state.count("stackexchange_other_posts")   # tag wikis, moderator nominations, ...
                        else:
                            yield Quarantined("bad_post", f"row {offset}: no Id or PostTypeId", offset, pid)
                        continue
                    if kind == ANSWER and not row.get("ParentId"):
                        yield Quarantined("bad_post", f"answer {pid} has no ParentId", offset, pid)
                        continue
                    key = pid if kind == QUESTION else row["ParentId"]
                    t = threads.setdefault(key, _Thread())
                    if kind == QUESTION:
                        state.count("stackexchange_questions")
                        t.question = row
                    else:
                        state.count("stackexchange_answers")
                        t.answers.append(row)
                    if t.complete():
                        yield from self._emit(threads.pop(key), site, comments, state)
        except (etree.XMLSyntaxError, OSError, EOFError, ValueError) as e:
            yield Quarantined("bad_xml", f"{path}: after row {offset}: {type(e).__name__}: {e}", offset, path)
        for key in list(threads):          # threads whose question counts answers not in the dump
            t = threads.pop(key)
            if t.question is None:
                state.count("stackexchange_orphan_answers", len(t.answers))
                yield Quarantined("orphan_answer", f"answers to question {key} not in this file", -1, key)
                continue
            yield from self._emit(t, site, comments, state)

    def _emit(self, t: _Thread, site: str, comments: dict, state: ReadState) -> Iterator[Doc | Quarantined]:
        q = t.question
        qid = q["Id"]
        if self.min_question_score is not None and _score(q) < self.min_question_score:
            state.count("stackexchange_low_score_questions")
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
            return
        text = "\n\n".join(p for p in parts if p)
        if not text.strip():
            yield Quarantined("empty_document", f"question {qid}: no text", -1, qid)
            return
        posts = [q, *answers]
        meta = {"site": site, "question_id": qid, "title": q.get("Title"),
                "tags": re.findall(r"<([^<>]+)>", q.get("Tags") or ""),
                "score": _score(q), "accepted_answer_id": accepted,
                "answer_ids": [a["Id"] for a in answers], "answer_scores": [_score(a) for a in answers],
                "authors": [_author(p) for p in posts],
                "license": ", ".join(sorted({cc_by_sa_version(p.get("CreationDate", "")) for p in posts})),
                "created": q.get("CreationDate")}
        url = f"https://{site}/questions/{qid}" if _HOSTNAME.match(site) else None
        yield Doc(f"{site}/{qid}", url, text=text, metadata=meta)

    def _post_text(self, post: dict, comments: dict) -> str:
        text = html_to_text(post.get("Body") or "")
        notes = comments.get(post["Id"])
        if notes:
            text += "\n\nComments:\n" + "\n".join(f"- {c.get('Text', '').strip()}" for c in notes)
        return text


def _score(post: dict) -> int:
    try:
        return int(post.get("Score") or 0)
    except ValueError:
        return 0


def _author(post: dict) -> str | None:
    uid = post.get("OwnerUserId")
    return f"user:{uid}" if uid else post.get("OwnerDisplayName")


def _read_comments(path: str, into: dict[str, list[dict]]) -> Quarantined | None:
    import fsspec
    if not fsspec.core.url_to_fs(path)[0].exists(path):
        return Quarantined("missing_comments", f"{path} not found (include_comments)", -1, path)
    try:
        with open_decompressed(path) as f:
            for _, el in etree.iterparse(f, events=("end",), tag="row", huge_tree=True):
                if el.get("PostId"):
                    into.setdefault(el.get("PostId"), []).append(dict(el.attrib))
                el.clear()
    except (etree.XMLSyntaxError, OSError, EOFError) as e:
        return Quarantined("bad_xml", f"{path}: {type(e).__name__}: {e}", -1, path)
    for rows in into.values():
        rows.sort(key=lambda c: (c.get("CreationDate", ""), c.get("Id", "")))
    return None
