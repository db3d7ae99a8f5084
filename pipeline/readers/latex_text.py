"""Text rules of the LaTeX reader (pipeline/readers/latex.py): comments, verbatim, simple macros.

Regular expressions and a brace matcher, as RedPajama's arXiv cleaner; see latex.py for why no
LaTeX parser. Kept apart from the reader so the reader's module stays about files and papers.

Line ends are LF before any rule runs (newlines): every rule here is line-based, a Windows file's
`\\r` stayed in the text and a lone-CR (old Mac) file was one line, so its first `%` cut the rest.
`\\endinput` ends a file as TeX reads it (cut_endinput), but only at the start of a line: the
`\\else\\endinput\\fi` load guards of macro files do not end them.

Macros are expanded as TeX reads tokens, not characters: where a piece of text starting with a
letter is put right after a control word (`\\lVert#1` with the argument `v`, a body ending in
`\\alpha` before `x`), a space goes between (`\\lVert v`), which TeX skips after a control word;
pasted, they made another, undefined control word (`\\lVertv`).
"""
from __future__ import annotations

import re

# A '%' after an even number of backslashes (none, or `\\\\` ending a table row) starts a comment;
# after an odd number it is escaped (`\\%`). '%' first: the engine's literal scan finds candidates
# fast (a pattern counting the backslashes before it was 15 times slower); one after a single
# backslash is never matched, one after two or more is judged by _uncomment (_escaped counts them).
_COMMENT = re.compile(r"%(?:(?<!\\%)|(?<=\\\\%)).*")
_COMMENT_LINE = re.compile(r"^[ \t]*%.*\n", re.M)
_COMMENT_ENV = re.compile(r"\\begin\s*\{comment\}.*?\\end\s*\{comment\}\n?", re.S)
# Conditionals as TeX nests them; `\newif\ifdraft` defines a conditional, opens none. `\if0` (or
# `\if 0`, then a space: 0 and a space differ) is false as `\iffalse` is, `\if00` true.
_IF_TOKEN = re.compile(r"(?<!\\newif)(?<!\\newif )"
                       r"\\(?:(?P<zero>if\s*0(?=\s))|(if[A-Za-z@]*|fi|else)(?![A-Za-z@]))")
_FALSE_OPENER = re.compile(r"\\(?:iffalse(?![A-Za-z@])|if\s*0\s)")
_NEWIF = re.compile(r"\\newif\s*\\if([A-Za-z@]+)")

_ENDINPUT = re.compile(r"^[ \t]*\\endinput(?![A-Za-z@])[^\n]*", re.M)


def newlines(text: str) -> str:
    """CRLF and lone CR line ends as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def cut_endinput(tex: str) -> str:
    """The comment-free `tex` up to its first line starting with `\\endinput`, that line's rest
    kept (TeX reads the line to its end, then stops reading the file)."""
    m = _ENDINPUT.search(tex) if "\\endinput" in tex else None
    return tex if m is None else tex[:m.start()] + tex[m.start():m.end()].replace("\\endinput", "", 1).lstrip()


# -- verbatim -------------------------------------------------------------------------------------
# Environments whose text TeX reads with '%' as a plain character: code listings keep their
# `x % 10` and `printf("%d")`. A paper's own ones (\lstnewenvironment{Code}, fancyvrb's
# \DefineVerbatimEnvironment, minted's \newminted, tcolorbox's listings) are found in its files.
VERBATIM_ENVS = frozenset((
    "verbatim", "verbatim*", "Verbatim", "Verbatim*", "BVerbatim", "BVerbatim*", "LVerbatim", "LVerbatim*",
    "spverbatim", "lstlisting", "minted", "tcblisting"))
_SEP = r"(?:\s|%[^\n]*\n)*"     # what may stand between a command and its arguments (a '%' line end)
_VERBATIM_DEF = re.compile(r"\\(?:lstnewenvironment|DefineVerbatimEnvironment|(?:re)?newtcblisting|NewTCBListing|"
                           r"DeclareTCBListing)\*?" + _SEP + r"\{\s*([^{}\s]+)\s*\}")
_NEWMINTED = re.compile(r"\\newminted(?![A-Za-z@])" + _SEP + r"(?:\[\s*([^\]\s]*)\s*\])?" + _SEP
                        + r"\{\s*([^{}\s]+)\s*\}")
_PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")


def verbatim_definitions(tex: str) -> set[str]:
    """Names of the verbatim environments a file defines: \\lstnewenvironment{Code},
    \\DefineVerbatimEnvironment{Code}{Verbatim}, \\newminted{cpp}{..} (`cppcode`) or
    \\newminted[name]{cpp}{..}, tcolorbox's \\newtcblisting{name}."""
    names = {m.group(1) for m in _VERBATIM_DEF.finditer(tex)}
    return names | {m.group(1) or m.group(2) + "code" for m in _NEWMINTED.finditer(tex)}


def protect_verbatim(tex: str, envs: frozenset[str] | set[str], store: list[str]) -> str:
    """Each verbatim environment of `envs` and each `\\verb|..|`, `\\lstinline|..|`,
    `\\mintinline{lang}|..|`, and the address of `\\url{..}` and `\\href{..}{text}` (url and hyperref
    read it verbatim: `x%20y` is no comment) replaced by a placeholder, its text appended to `store`: comment
    stripping, includes, macros then never touch code. A start after a `%` on its line is in a
    comment (a commented-out `\\begin{verbatim}` protects nothing); an environment without its
    `\\end` is left to the comment rules."""
    if "\\begin" not in tex and "\\verb" not in tex and "inline" not in tex and "\\url" not in tex and \
            "\\href" not in tex:
        return tex
    alternatives = "|".join(re.escape(e) for e in sorted(envs, key=len, reverse=True))
    pattern = re.compile(r"\\begin\s*\{(" + alternatives + r")\}"
                         r"|\\(?:verb\*?|lstinline|mintinline|url|href)(?![A-Za-z@])")
    out, pos, i = [], 0, 0
    while (m := pattern.search(tex, i)) is not None:
        if _commented(tex, max(pos, tex.rfind("\n", 0, m.start()) + 1), m.start()):
            i = m.end()                          # in a comment: the comment rules drop it
            continue
        if m.group(1):
            end = re.compile(r"\\end\s*\{" + re.escape(m.group(1)) + r"\}").search(tex, m.end())
            stop = end.end() if end else None
        else:
            stop = _inline_end(tex, m.end(), m.group(0))
        if stop is None:
            i = m.end()
            continue
        out.append(tex[pos:m.start()])
        out.append(f"\ue000{len(store)}\ue001")
        store.append(tex[m.start():stop])
        pos = i = stop
    out.append(tex[pos:])
    return "".join(out)


def _inline_end(tex: str, j: int, cmd: str) -> int | None:
    """End of an inline verbatim argument starting at `j`: `|..|` with any delimiter, or (listings,
    minted, an address) `{..}`, on one line; None when malformed."""
    if cmd in ("\\url", "\\href"):
        k = tex.find("}", j)
        return k + 1 if tex.startswith("{", j) and k >= 0 and "\n" not in tex[j:k] else None
    if not cmd.startswith("\\verb"):
        if tex.startswith("[", j):
            k = tex.find("]", j)
            if k < 0:
                return None
            j = k + 1
        if cmd == "\\mintinline":           # \mintinline{lang}{code}
            k = tex.find("}", j)
            if not tex.startswith("{", j) or k < 0:
                return None
            j = k + 1
        if tex.startswith("{", j):
            k = tex.find("}", j)
            return k + 1 if k >= 0 and "\n" not in tex[j:k] else None
    if j >= len(tex) or tex[j].isalpha() or tex[j].isspace():
        return None
    k, nl = tex.find(tex[j], j + 1), tex.find("\n", j + 1)
    return None if k < 0 or 0 <= nl < k else k + 1


def restore_verbatim(tex: str, store: list[str]) -> str:
    """The placeholders of protect_verbatim replaced by their text again."""
    return _PLACEHOLDER.sub(lambda m: store[int(m.group(1))], tex) if store else tex


# -- comments -------------------------------------------------------------------------------------
def strip_comments(tex: str) -> str:
    """Remove `%` comments (not `\\%`; `\\\\%` is a line break, then one), a line that was only a
    comment entirely, the blocks of the comment package (`\\begin{comment}...\\end{comment}`) and
    `\\iffalse ... \\fi` and `\\if0 ... \\fi` blocks (the commonest ways arXiv sources hide draft
    text; an `\\else` part is kept). Verbatim text must be protected first (protect_verbatim):
    here every '%' is a comment."""
    tex = _COMMENT.sub(_uncomment, _COMMENT_LINE.sub("", tex))
    if "{comment}" in tex:
        tex = _COMMENT_ENV.sub("", tex)
    return _strip_false(tex, frozenset({"iffalse"})) if _FALSE_OPENER.search(tex) else tex


def strip_false_flags(tex: str) -> str:
    """The blocks of the paper's own conditionals resolved, in the comment-free text of the whole
    paper (the flag may be set in a style file): a `\\newif\\ifdraft` flag the paper sets one way
    only (every setting `\\draftfalse`, or every one `\\drafttrue`) has that value at every use, as
    a flag set once in the preamble has: `\\ifdraft .. \\else .. \\fi` keeps the branch TeX typesets
    (`\\ifarxiv` set true: the journal version in its `\\else` part goes). Unsure, the blocks stay as
    written: a flag set both ways (maybe in a branch), redefined (`\\let\\ifdraft\\iftrue`), or never
    set (a build may set it on the command line)."""
    false, true = set(), set()
    for name in set(_NEWIF.findall(tex)) if "\\newif" in tex else ():
        n = re.escape(name)
        if re.search(rf"\\(?:let|[egx]?def)\s*\\if{n}(?![A-Za-z@])", tex):
            continue
        sets_false = re.search(rf"\\{n}false(?![A-Za-z@])", tex) is not None
        sets_true = re.search(rf"\\{n}true(?![A-Za-z@])", tex) is not None
        if sets_false != sets_true:
            (false if sets_false else true).add("if" + name)
    return _strip_false(tex, frozenset(false), frozenset(true)) if false or true else tex


_COMMENT_DECL = re.compile(r"\\(exclude|include)comment\s*\{\s*([^{}\s]+)\s*\}")


def comment_environments(tex: str) -> str:
    """The comment package's own environments in the comment-free text of the whole paper (declared
    in its preamble or a style file, used in any file): one `\\excludecomment{name}` declares dropped
    as `comment` is (strip_comments), one `\\includecomment{name}` declares kept without its
    `\\begin`/`\\end` lines (a paper's long and short versions). A name declared again has its last
    declaration, as in TeX."""
    if "comment" not in tex:
        return tex
    kinds = {m.group(2): m.group(1) for m in _COMMENT_DECL.finditer(tex)}
    for name, kind in kinds.items():
        n = re.escape(name)
        if kind == "exclude":
            tex = re.sub(rf"\\begin\s*\{{{n}\}}.*?\\end\s*\{{{n}\}}\n?", "", tex, flags=re.S)
        else:
            tex = re.sub(rf"^[ \t]*\\(?:begin|end)\s*\{{{n}\}}[ \t]*\n?|\\(?:begin|end)\s*\{{{n}\}}", "",
                         tex, flags=re.M)
    return tex


def _uncomment(m: re.Match) -> str:
    """Nothing for a comment; an escaped '%' (`\\\\\\%`) kept, the rest of its line searched again."""
    if not _escaped(m.string, m.start()):
        return ""
    return "%" + _COMMENT.sub(_uncomment, m.group()[1:])


def _commented(tex: str, start: int, end: int) -> bool:
    """Whether a comment starts in tex[start:end]."""
    while (m := _COMMENT.search(tex, start, end)) is not None:
        if not _escaped(tex, m.start()):
            return True
        start = m.start() + 1
    return False


def _strip_false(tex: str, false: frozenset[str], true: frozenset[str] = frozenset()) -> str:
    """Every block of a false conditional (`\\if0`, or one of the words `false`) up to its own `\\fi`,
    conditionals inside it counted; its `\\else` part kept (itself stripped so). A block of a true one
    (the words `true`) keeps its first part only. A block without its `\\fi` is left as written."""
    out, pos, depth, opening, other, opener = [], 0, 0, None, None, ""
    for m in _IF_TOKEN.finditer(tex):
        word = "if0" if m.group("zero") else m.group(2)
        if depth == 0:
            if word == "if0" or word in false or word in true:
                depth, opening, other, opener = 1, m, None, word
            continue
        if word == "else":
            if depth == 1 and other is None:
                other = m
            continue
        depth += 1 if word != "fi" else -1
        if depth == 0:
            out.append(tex[pos:opening.start()])
            if opener in true:
                kept = tex[opening.end():other.start() if other else m.start()]
            else:
                kept = tex[other.end():m.start()] if other else ""
            out.append(_strip_false(kept, false, true))
            pos = m.end()
    out.append(tex[pos:])
    return "".join(out)


def braced(tex: str, start: int) -> tuple[str, int] | None:
    """The content of the `{...}` group opening at `start` (nested braces, `\\{` escapes) and the end."""
    if start >= len(tex) or tex[start] != "{":
        return None
    depth, i = 0, start
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            i += 2
            continue
        depth += c == "{"
        depth -= c == "}"
        if depth == 0:
            return tex[start + 1:i], i + 1
        i += 1
    return None


def drop_notes(tex: str) -> str:
    """`tex` without `\\thanks{..}` and `\\footnote[..]{..}` (a title's funding and affiliation notes)."""
    out, pos = [], 0
    for m in re.finditer(r"\\(?:thanks|footnote)\s*(?:\[[^\]]*\]\s*)?(?=\{)", tex):
        if m.start() < pos or (group := braced(tex, m.end())) is None:
            continue
        out.append(tex[pos:m.start()])
        pos = group[1]
    out.append(tex[pos:])
    return "".join(out).strip()


def tidy_lines(text: str) -> str:
    """Trailing blanks cut, runs of empty lines reduced to one (one pass; faster than two regexes)."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip(" \t")
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# -- macros ---------------------------------------------------------------------------------------
# \renewcommand is left alone where it redefines LaTeX's own commands (\section, \paragraph, ...),
# whose uses this corpus keeps as written; of a command the paper defined itself, it is the last
# definition, as in TeX (\renewcommand{\todo}[1]{} silencing the paper's own notes).
_NEWCOMMAND = re.compile(r"\\(?P<kind>new|provide|renew)command\*?\s*\{?\s*(\\[A-Za-z@]+)\s*\}?\s*"
                         r"(?:\[(?P<n>[0-9])\]\s*)?(?=\{)")
# Any definition of a command by the paper (optional arguments too): whether a \renewcommand is of its own
_OWN_DEFINITION = re.compile(r"\\(?:(?:new|provide)command\*?\s*\{?|[egx]?def)\s*(\\[A-Za-z@]+)")
_DEF = re.compile(r"\\def\s*(\\[A-Za-z@]+)(?P<params>(?:#[1-9])*)\s*(?=\{)")
_CONTROL_WORD = re.compile(r"\\[A-Za-z@]+")
# Structure and references: never expanded, even when a paper \def's them.
KEPT_COMMANDS = frozenset("\\" + c for c in (
    "part", "chapter", "section", "subsection", "subsubsection", "paragraph", "subparagraph", "caption",
    "label", "ref", "eqref", "cite", "begin", "end", "item", "title", "author", "footnote", "input", "include"))
MAX_MACRO_PASSES = 3
# A pass of expansion that makes the text longer than this many times the text before expansion
# is undone: macros that grow rather than abbreviate are package code, not notation (the HoTT
# book's \prd/\sm made 1.4 MB of text 15 MB of TeX internals).
MAX_MACRO_GROWTH = 2.0


def simple_macros(tex: str) -> tuple[dict[str, tuple[int, str]], str, int]:
    """Simple \\newcommand/\\def definitions as {name: (number of arguments, body)}, the text with
    those definitions removed, and how many definitions were left as written because they are
    package code. Simple: mandatory arguments only (`\\newcommand{\\v}[1]{..#1..}`, `\\def\\v#1{..}`);
    a default optional argument or delimited \\def parameters are left as written. Package code:
    a name or body using `@` internals (`\\@ifnextchar` peeks at what follows: expanding it out of
    place only copies TeX machinery into the text), or a macro that refers to itself directly or
    through others (each pass would copy it again)."""
    found: dict[str, tuple[int, str]] = {}
    spans: list[tuple[int, int, str]] = []
    first = {}         # where the paper first defines each command, in any form
    for m in _OWN_DEFINITION.finditer(tex):
        first.setdefault(m.group(1), m.start())
    # in the order TeX reads them: a name defined again has its last definition
    for m in sorted((*_NEWCOMMAND.finditer(tex), *_DEF.finditer(tex)), key=lambda m: m.start()):
        name, kind = m.group(1 if m.re is _DEF else 2), m.group("kind") if m.re is _NEWCOMMAND else "def"
        defined = first.get(name, m.start()) < m.start()       # by the paper, before this
        if kind == "renew" and not defined:
            continue            # LaTeX's or a package's command: left as written
        if name in KEPT_COMMANDS:
            continue
        nargs = int(m.group("n") or 0) if m.re is _NEWCOMMAND else len(m.group("params") or "") // 2
        body = braced(tex, m.end())
        if body is None or re.search(r"#(?![1-9])", body[0]) or \
                any(int(k) > nargs for k in re.findall(r"#([1-9])", body[0])):
            found.pop(name, None)   # unbalanced, or '#' used otherwise: left as written, and the
            continue                # definition before it no longer holds
        spans.append((m.start(), body[1], name))
        if kind == "provide" and defined:
            continue                # \providecommand defines only what is not defined yet
        found[name] = (nargs, body[0])
    uses = {n: set(_CONTROL_WORD.findall(body)) for n, (_, body) in found.items()}
    unsafe = {n for n in found if "@" in n or any("@" in u for u in uses[n])} | _recursive(
        {n: u & found.keys() for n, u in uses.items()})
    macros = {n: v for n, v in found.items() if n not in unsafe}
    out, last = [], 0
    for s, e, n in sorted(spans):
        if n not in macros:
            continue
        if s >= last:
            out.append(tex[last:s])
            last = e
    out.append(tex[last:])
    return macros, "".join(out), len(unsafe)


def _recursive(uses: dict[str, set[str]]) -> set[str]:
    """The names that reach themselves in the graph `uses` (name -> names its body uses)."""
    out = set()
    for start in uses:
        seen, todo = set(), list(uses[start])
        while todo:
            n = todo.pop()
            if n == start:
                out.add(start)
                break
            if n not in seen:
                seen.add(n)
                todo.extend(uses.get(n, ()))
    return out


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PARAM = re.compile(r"#([1-9])")
_TAIL = 64          # characters of the text so far kept to tell whether it ends in a control word


def _escaped(tex: str, at: int) -> bool:
    """Whether the character at `at` is escaped by the backslash before it (an odd number of them):
    `\\\\sys` is a line break, then the letters `sys`, not a use of the macro `\\sys`."""
    i = at
    while i and tex[i - 1] == "\\":
        i -= 1
    return (at - i) % 2 == 1


def ends_in_control_word(text: str) -> bool:
    """Whether `text` ends with a control word: a backslash and letters, the backslash not itself
    escaped (`\\\\alpha` is a line break, then the letters `alpha`)."""
    i = len(text)
    while i and text[i - 1] in _ASCII_LETTERS:
        i -= 1
    return i < len(text) and i > 0 and text[i - 1] == "\\" and not _escaped(text, i - 1)


class _Tokens:
    """Pieces of text joined as TeX reads them: a piece starting with a letter (any script's:
    XeTeX's letters) right after a control word gets a space between, which TeX skips there;
    pasted, `\\lVert` and `v` made the control word `\\lVertv`. `size`: characters joined so far."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.tail, self.size = "", 0

    def add(self, piece: str) -> None:
        if not piece:
            return
        if piece[0].isalpha() and ends_in_control_word(self.tail):
            self.parts.append(" ")
            self.size += 1
        self.parts.append(piece)
        self.size += len(piece)
        self.tail = piece[-_TAIL:] if len(piece) >= _TAIL else (self.tail + piece)[-_TAIL:]

    def text(self) -> str:
        return "".join(self.parts)


def substitute(body: str, args: list[str]) -> str:
    """`body` with its `#n` replaced by the arguments, as tokens (_Tokens): `\\lVert#1\\rVert`
    with `v` is `\\lVert v\\rVert`; `\\frac{#1}{#2}`, `#1\\,` and `\\lVert#1` with `\\beta` or `2`
    need no space and get none."""
    if not args:
        return body
    pieces = _PARAM.split(body)          # text, n, text, n, ..., text
    out = _Tokens()
    out.add(pieces[0])
    for k in range(1, len(pieces), 2):
        out.add(args[int(pieces[k]) - 1])
        out.add(pieces[k + 1])
    return out.text()


def expand_macros(tex: str, macros: dict[str, tuple[int, str]]) -> tuple[str, bool]:
    """Each use of a macro replaced by its body with its braced arguments put in; a use without
    its arguments in braces is left as written. Arguments and expansions are put in as tokens
    (_Tokens): no letter is pasted onto a control word before it. Up to MAX_MACRO_PASSES passes
    (macros defined through other macros); a pass that grows the text past MAX_MACRO_GROWTH times
    its size before expansion is undone and expansion stops (returned True, for the reader to count)."""
    if not macros:
        return tex, False
    names = sorted(macros, key=len, reverse=True)
    pattern = re.compile("(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z@])")
    limit = MAX_MACRO_GROWTH * max(len(tex), 1)
    for _ in range(MAX_MACRO_PASSES):
        out, last, changed = _Tokens(), 0, False
        for m in pattern.finditer(tex):
            if m.start() < last or _escaped(tex, m.start()):
                continue
            nargs, body = macros[m.group(1)]
            pos, args = m.end(), []
            for _ in range(nargs):
                while pos < len(tex) and tex[pos] in " \t\n":
                    pos += 1
                group = braced(tex, pos)
                if group is None:
                    break
                args.append(group[0])
                pos = group[1]
            if len(args) < nargs:
                continue
            out.add(tex[last:m.start()])
            out.add(substitute(body, args))      # after `\\item`: `\\item TokenMill`
            last, changed = pos, True
            if out.size > limit:
                return tex, True
        out.add(tex[last:])                      # `\\tr{A}x` of `#1^\\top`: `A^\\top x`
        if out.size > limit:
            return tex, True
        tex = out.text()
        if not changed:
            break
    return tex, False
