"""Stack Exchange post bodies (HTML that SE rendered from the author's Markdown) back to text that
reads as that Markdown did: paragraphs apart, list items as `- ` or `1. ` (an `<ol start=…>`'s
numbering kept) with their text on the same line, nested lists and an item's further paragraphs
indented under it, quotations prefixed `> `, `<pre>` blocks verbatim inside ``` fences, inline
`<code>` in backticks, table cells apart (` | `), and an image by its alt text (not SE's default
"enter image description here"). `<sup>`, `<sub>` and the strike tags (`<strike>`, `<del>`, `<s>`)
are kept as written: SE's Markdown has no syntax for superscripts and subscripts, so its authors
write these tags inline in the Markdown itself (`2<sup>10</sup>`, `CO<sub>2</sub>`, a footnote's
`camping<sup>1</sup>`, a retracted `<strike>claim</strike>`), and without them the text reads
otherwise (`210`, `CO2`, `camping1`, the retracted claim as a claim). Not `^`/`_`/`~~`: `^` and
`_` mean no such thing in SE's Markdown (`_` is emphasis), a whole paragraph of `<sub>` fine print
has no such spelling, and the tags are what the author wrote (strike tags too, `~~` being newer).
A pair around no text (`<sup></sup>`, `<sub><br></sub>`) is left out. Math (MathJax on math,
physics, stats, ...: a `<span class="math-container">`, and in older posts bare `$$…$$` or
`\\begin{env}…\\end{env}` text) keeps its line breaks as written: a `%` comment in TeX runs to the
end of its line, so a display block squeezed to one line lost everything after its first comment
(`\\end{align}$$` included).

lxml parses; the walk below only lays the blocks out. Each block is a list of lines, and a line
knows whether it is code: code lines are never re-indented, stripped or squeezed (trailing spaces
and blank lines in a program are its own), the other lines are tidied when the blocks are joined.
"""
from __future__ import annotations

import re

from lxml import html as lxml_html

_SPACE = re.compile(r"[ \t\r\n\f\v]+")
# A line break between two Chinese or Japanese characters is no space (CSS Text 3's segment break
# rule, as Firefox renders it): "リストを\n並べ替える" is one phrase, not "リストを 並べ替える".
_WIDE = "\u2e80-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_WIDE_BREAK = re.compile(f"(?<=[{_WIDE}])[ \t]*[\r\n]+[ \t]*(?=[{_WIDE}])")
# Display math written as text (posts from before SE wrapped math in a span): kept as written.
_MATH_BLOCK = re.compile(r"\$\$.+?\$\$|\\begin\{([A-Za-z]+\*?)\}.*?\\end\{\1\}", re.S)
_MATH_CLASS = "math-container"
# Elements that start and end a block of their own; the rest are inline (a, em, code, …).
_BLOCKS = {"p", "div", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "hr", "pre",
           "h1", "h2", "h3", "h4", "h5", "h6", "dl", "dt", "dd", "details", "summary", "figure", "figcaption",
           "section", "article", "aside", "header", "footer", "center", "address"}
# Inline tags SE's Markdown takes as written (it has no syntax of its own for them): kept as tags.
_KEPT_TAGS = {"sup", "sub", "strike", "del", "s"}
# SE's image dialog fills the alt text with this unless the author writes one: it says nothing.
DEFAULT_ALT = "enter image description here"

Line = tuple[str, bool]          # (text, is code)


def html_to_text(body: str) -> str:
    """A post body from HTML to text (see the module docstring)."""
    if not body.strip():
        return ""
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    flow = _Flow()
    _children(root, flow)
    return _tidy(_join(flow.close_all(), loose=True))


class _Flow:
    """The blocks laid out so far, and the inline text of the paragraph still open."""

    def __init__(self) -> None:
        self.blocks: list[list[Line]] = []
        self.inline: list[str] = []
        self.at_space = True          # the open text ends in a space or a line break (or is empty)
        self.after_alt = False        # an image's alt text was the last thing written

    def text(self, s: str) -> None:
        """Inline text, its whitespace rendered as HTML does (runs to one space), display math
        (`$$…$$`, `\\begin{…}…\\end{…}`) excepted."""
        if ("$$" in s or "\\begin{" in s) and (blocks := list(_MATH_BLOCK.finditer(s))):
            at = 0
            for m in blocks:
                self._squeezed(s[at:m.start()])
                self.math(m.group())
                at = m.end()
            self._squeezed(s[at:])
            return
        self._squeezed(s)

    def _squeezed(self, s: str) -> None:
        if not s:
            return
        if "  " in s or "\n" in s or "\t" in s or "\r" in s or "\f" in s or "\v" in s:
            if "\n" in s or "\r" in s:
                s = _WIDE_BREAK.sub("", s)
            s = _SPACE.sub(" ", s)
        if self.at_space and s[0] == " ":
            s = s[1:]
            if not s:
                return
        if self.after_alt and (s[0].isalnum() or s[0] in "([{"):
            s = " " + s                # "alt-text" + "word" would be one word
        self.inline.append(s)
        self.at_space, self.after_alt = s[-1] == " ", False

    def math(self, s: str) -> None:
        """TeX kept as written: its line breaks end `%` comments. Only the ends of its lines are
        trimmed (when the paragraph closes), which TeX does not see."""
        if not s:
            return
        if self.after_alt:
            self.inline.append(" ")
        s = s.replace("\r\n", "\n").replace("\r", "\n")
        self.inline.append(s)
        self.at_space, self.after_alt = s[-1] in " \t\n", False

    def raw(self, s: str) -> None:
        """Inline text kept as written (inline code)."""
        if self.after_alt:
            self.inline.append(" ")
        self.inline.append(s)
        self.at_space, self.after_alt = False, False

    def open_tag(self, s: str) -> None:
        """A kept tag (`<sup>`): no text of its own, so the whitespace around it collapses as if it
        were not there (`<sub> Note` at a paragraph's start is `<sub>Note`)."""
        if self.after_alt:
            self.inline.append(" ")
        self.inline.append(s)
        self.after_alt = False

    def close_tag(self, s: str) -> None:
        """A kept tag's end, written against the text it closes: a space or `<br>` before it goes
        after it (`here. </sub>` is `here.</sub> `, trimmed at the end of a line)."""
        breaks = 0
        while self.inline and self.inline[-1] == "\n":
            self.inline.pop()
            breaks += 1
        space = self.at_space and not breaks and self.inline and self.inline[-1].endswith(" ")
        if space:
            self.inline[-1] = self.inline[-1][:-1]
        self.inline.append(s + " " * space + "\n" * breaks)
        self.at_space = bool(space or breaks)

    def alt(self, s: str) -> None:
        """An image's alt text, set apart from the words and images around it."""
        if not self.at_space:
            self.inline.append(" ")
        self.inline.append(" ".join(s.split()))
        self.at_space, self.after_alt = False, True

    def line_break(self) -> None:
        self.inline.append("\n")
        self.at_space, self.after_alt = True, False

    def close(self) -> None:
        """End the open paragraph: its lines trimmed (no space left after a `<br>`)."""
        if self.inline:
            lines = [ln.strip(" ") for ln in "".join(self.inline).split("\n")]
            while lines and not lines[-1]:
                lines.pop()
            while lines and not lines[0]:
                lines.pop(0)
            if lines:
                self.blocks.append([(ln, False) for ln in lines])
        self.inline, self.at_space, self.after_alt = [], True, False

    def add(self, block: list[Line]) -> None:
        self.close()
        if block:
            self.blocks.append(block)

    def close_all(self) -> list[list[Line]]:
        self.close()
        return self.blocks


def _children(el, flow: _Flow) -> None:
    flow.text(el.text or "")
    for child in el:
        _walk(child, flow)
        flow.text(child.tail or "")


def _walk(el, flow: _Flow) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if not tag:                       # an HTML comment or processing instruction: its tail only
        return
    if tag == "pre":
        code = el.text_content().rstrip("\n")
        flow.add([("```", True), *((ln, True) for ln in code.split("\n")), ("```", True)])
    elif tag in ("ul", "ol"):
        flow.add(_list(el, ordered=tag == "ol"))
    elif tag == "table":
        flow.add(_table(el))
    elif tag == "blockquote":
        inner = _join(_render(el), loose=True)
        flow.add([(f"> {t}" if t else ">", code) for t, code in inner])
    elif tag == "br":
        flow.line_break()
    elif tag == "img":
        alt = (el.get("alt") or "").strip()
        if alt and alt.lower() != DEFAULT_ALT:
            flow.alt(alt)
    elif tag == "code":
        flow.raw(f"`{el.text_content()}`")
    elif tag == "span" and _MATH_CLASS in (el.get("class") or "").split():
        flow.math(el.text_content())
    elif tag in _KEPT_TAGS and _holds_text(el):
        flow.open_tag(f"<{tag}>")
        _children(el, flow)
        flow.close_tag(f"</{tag}>")
    else:
        block = tag in _BLOCKS
        if block:
            flow.close()
        _children(el, flow)
        if block:
            flow.close()


def _holds_text(el) -> bool:
    """The element has text or an image's alt text in it (a `<sup></sup>` left by an edit has none)."""
    return bool(el.text_content().strip()) or any((img.get("alt") or "").strip() for img in el.iter("img"))


def _table(el) -> list[Line]:
    """A table as one line a row, its cells (their text on one line) apart: `a | b`."""
    out: list[Line] = []
    for part in el:                  # <caption>, <thead>/<tbody>/<tfoot> and their rows, or bare rows
        tag = part.tag.lower() if isinstance(part.tag, str) else ""
        rows = [r for r in part if isinstance(r.tag, str) and r.tag.lower() == "tr"] \
            if tag in ("thead", "tbody", "tfoot") else [part] if tag == "tr" else []
        if tag and not rows and tag != "colgroup" and tag != "col":
            out += [(" ".join(t for t, _ in _join(_render(part), loose=False)), False)]
        for row in rows:
            cells = [" ".join(t for t, _ in _join(_render(c), loose=False)) for c in row if isinstance(c.tag, str)]
            out.append((" | ".join(cells), False))
    return [line for line in out if line[0].strip()]


def _render(el) -> list[list[Line]]:
    """The blocks of an element's content, laid out on their own (to be prefixed or indented)."""
    flow = _Flow()
    _children(el, flow)
    return flow.close_all()


def _list(el, ordered: bool) -> list[Line]:
    """A list as one block: each item's marker on its first line, its other lines indented under it
    (code excepted: re-indenting would change the program). A loose list (items holding `<p>`s,
    Markdown's blank-line separated items) keeps a blank line between items and paragraphs."""
    number = _int(el.get("start"), 1)
    loose = any(isinstance(c.tag, str) and c.tag.lower() == "p" for li in el for c in li)
    out: list[Line] = []

    def item(lines: list[Line], marker: str) -> None:
        if not lines:
            return
        if out and loose:
            out.append(("", False))
        pad = " " * len(marker)
        out.append((marker + lines[0][0], lines[0][1]))
        out.extend((pad + t if t and not c else t, c) for t, c in lines[1:])

    item(_loose_text(el.text), "")      # text straight inside <ul> (hand-written HTML): kept, unmarked
    for child in el:
        if isinstance(child.tag, str) and child.tag.lower() == "li":
            number = _int(child.get("value"), number)
            item(_join(_render(child), loose) or [("", False)], f"{number}. " if ordered else "- ")
            number += 1
        elif isinstance(child.tag, str):  # <ul><ul>…</ul></ul>: no marker of its own
            flow = _Flow()
            _walk(child, flow)
            item(_join(flow.close_all(), loose), "")
        item(_loose_text(child.tail), "")
    return out


def _loose_text(s: str | None) -> list[Line]:
    if not s or not s.strip():
        return []
    flow = _Flow()
    flow.text(s)
    return _join(flow.close_all(), loose=False)


def _join(blocks: list[list[Line]], loose: bool) -> list[Line]:
    out: list[Line] = []
    for block in blocks:
        if out and loose:
            out.append(("", False))
        out += block
    return out


def _tidy(lines: list[Line]) -> str:
    """The text: lines other than code without trailing blanks, runs of blank lines cut to one."""
    out: list[str] = []
    for text, code in lines:
        if not code:
            text = text.rstrip(" \t")
            if not text and (not out or not out[-1]):
                continue
        out.append(text)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
