"""LaTeX paper sources: a paper's directory, its `.tar.gz` or one gzipped `.tex` (arXiv's source forms),
or arXiv's bulk source tars (`arXiv_src_2301_001.tar`: one gzipped tarball or .tex per paper, PDFs
where no source was given, counted as `latex_pdf_only_skipped`).

One document per paper. The main file is the `.tex` with both `\\documentclass` and
`\\begin{document}` (among several, the one no other file includes, then the one including most
of the other `.tex` files, then the largest).
From it: comments (and `\\iffalse` blocks) removed, `\\input`, `\\include`, `\\subfile` and the
import package's `\\import`/`\\subimport` resolved recursively (a missing file or an include cycle
is dropped and counted; a subfile's or a standalone figure's own `\\documentclass` makes no paper),
simple user macros (`\\newcommand{\\x}[1]{...#1...}`, `\\def\\x{...}`; mandatory arguments only)
expanded, the preamble cut (the document is the body of `document`), the bibliography and
figure/table floats kept, dropped or (floats) reduced to their captions by option. Math stays
LaTeX, as in RedPajama's arXiv slice.

Hand-written on purpose: LaTeX parsers (pylatexenc, TexSoup) turn the source into text or a tree
and lose the LaTeX math this corpus keeps; RedPajama's arXiv cleaner is the same kind of small set
of regular expressions with a brace matcher.

Encoding: UTF-8; a file that is not UTF-8 (arXiv has many latin-1 sources) is decoded with the
encoding its `\\usepackage[...]{inputenc}` or its CJK environment (`\\begin{CJK*}{GBK}{song}`)
declares, else the one the main file declares (under a CJK encoding before the mostly-UTF-8 test
below, whose valid sequences GBK forms by chance), else
`fallback_encoding` (cp1252: latin-1 plus the Windows punctuation, the commonest legacy encoding
of Western sources); a file without its own declaration that is UTF-8 but for a few stray bytes
(a latin-1 line pasted in) keeps its UTF-8 and only the stray bytes are read as cp1252
("utf-8+cp1252"); the encoding used is recorded in `metadata.encodings`. Statistical detectors
(charset-normalizer) misjudge short LaTeX files, whose bytes are mostly ASCII markup. A file with
NUL bytes or many control characters is binary: quarantined as `bad_encoding` (the main file: no
document; an included file: left out, the paper goes on).
"""
from __future__ import annotations

import codecs
import glob
import gzip
import io
import os
import posixpath
import re
import tarfile
import zlib
from pathlib import Path
from typing import Callable, Iterator, Literal

import fsspec
from pydantic import Field, field_validator

from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, decode_mixed_utf8, read_whole

_COMMENT = re.compile(r"%(?<!\\%).*")     # '%' first: the engine's literal scan finds candidates fast
_COMMENT_LINE = re.compile(r"^[ \t]*%.*\n", re.M)
_COMMENT_ENV = re.compile(r"\\begin\s*\{comment\}.*?\\end\s*\{comment\}\n?", re.S)
_INPUT = re.compile(r"\\(input|include|subfile)\s*(?:\{([^{}]+)\}|\s([^\s{}\\]+))")
# The import package: \import{dir}{file} from the paper's root, \subimport{dir}{file} from the
# including file's folder (and the *from forms, their aliases).
_IMPORT = re.compile(r"\\(sub)?(?:import|inputfrom|includefrom)\*?\s*\{([^{}]*)\}\s*\{([^{}]+)\}")
_DOCCLASS = re.compile(r"\\documentclass")
# Document classes of files that are parts of a paper, never the paper: a subfile of the subfiles
# package, a standalone figure or table.
_INCLUDE_CMDS = (b"\\input", b"\\include", b"\\subfile", b"\\import", b"\\subimport")
_PART_CLASS = re.compile(r"\\documentclass\s*(?:\[[^\]]*\])?\s*\{(?:subfiles|standalone)\}")
_IF_TOKEN = re.compile(r"\\(if[A-Za-z@]*|fi)(?![A-Za-z@])")
_BEGIN_DOC = re.compile(r"\\begin\s*\{document\}")
_END_DOC = re.compile(r"\\end\s*\{document\}")
# \renewcommand is left alone: it redefines LaTeX's own commands (\section, \paragraph, ...), whose
# uses this corpus keeps as written.
_NEWCOMMAND = re.compile(r"\\(?:new|provide)command\*?\s*\{?\s*(\\[A-Za-z@]+)\s*\}?\s*(?:\[(?P<n>[0-9])\]\s*)?(?=\{)")
_DEF = re.compile(r"\\def\s*(\\[A-Za-z@]+)(?P<params>(?:#[1-9])*)\s*(?=\{)")
_FLOATS = r"figure\*?|table\*?|wrapfigure|wraptable|sidewaysfigure|sidewaystable"
_FLOAT_ENV = re.compile(rf"\\begin\s*\{{({_FLOATS})\}}(.*?)\\end\s*\{{\1\}}", re.S)
_BIB_CMDS = re.compile(r"\\(bibliography|bibliographystyle|addbibresource|printbibliography)\b(\s*\{[^{}]*\})?")
_THEBIB = re.compile(r"\\begin\s*\{thebibliography\}.*?\\end\s*\{thebibliography\}", re.S)
_INPUTENC = re.compile(rb"\\usepackage\s*\[([^\]]+)\]\s*\{inputenc\}")
# inputenc option -> Python codec
INPUTENC_CODECS = {"latin1": "latin-1", "latin9": "iso8859-15", "latin2": "iso8859-2", "latin3": "iso8859-3",
                   "latin4": "iso8859-4", "latin5": "iso8859-9", "latin10": "iso8859-16", "ansinew": "cp1252",
                   "cp1252": "cp1252", "cp1250": "cp1250", "cp1251": "cp1251", "cp1257": "cp1257",
                   "applemac": "mac_roman", "macce": "mac_latin2", "cp437": "cp437", "cp850": "cp850",
                   "cp852": "cp852", "cp866": "cp866", "koi8-r": "koi8_r", "koi8-u": "koi8_u",
                   "utf8": "utf-8", "utf8x": "utf-8"}
# The CJK package's encodings (\begin{CJK}{<encoding>}{<font>}) -> Python codec
_CJK_ENV = re.compile(rb"\\begin\s*\{CJK\*?\}\s*(?:\[[^\]]*\]\s*)?\{([A-Za-z0-9-]+)\}")
CJK_CODECS = {"gbk": "gb18030", "gb": "gb18030", "bg5": "big5hkscs", "big5": "big5hkscs", "utf8": "utf-8",
              "sjis": "cp932", "jis": "iso2022_jp", "ks": "cp949", "euc-kr": "cp949"}
_CJK_MULTIBYTE = frozenset(CJK_CODECS.values()) - {"utf-8"}
# Structure and references: never expanded, even when a paper \def's them.
KEPT_COMMANDS = frozenset("\\" + c for c in (
    "part", "chapter", "section", "subsection", "subsubsection", "paragraph", "subparagraph", "caption",
    "label", "ref", "eqref", "cite", "begin", "end", "item", "title", "author", "footnote", "input", "include"))
MAX_INCLUDE_DEPTH = 32
MAX_MACRO_PASSES = 3


def strip_comments(tex: str) -> str:
    """Remove `%` comments (not `\\%`), a line that was only a comment entirely, the blocks of the
    comment package (`\\begin{comment}...\\end{comment}`) and `\\iffalse ... \\fi` blocks (the
    commonest way arXiv sources hide draft text)."""
    tex = _COMMENT.sub("", _COMMENT_LINE.sub("", tex))
    if "{comment}" in tex:
        tex = _COMMENT_ENV.sub("", tex)
    return _strip_iffalse(tex) if "\\iffalse" in tex else tex


def _strip_iffalse(tex: str) -> str:
    """Every `\\iffalse` block up to its own `\\fi` (conditionals inside it counted); a block
    without its `\\fi` is left as written."""
    out, pos, depth, start = [], 0, 0, 0
    for m in _IF_TOKEN.finditer(tex):
        word = m.group(1)
        if depth == 0:
            if word == "iffalse":
                depth, start = 1, m.start()
            continue
        depth += 1 if word != "fi" else -1
        if depth == 0:
            out.append(tex[pos:start])
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


def simple_macros(tex: str) -> tuple[dict[str, tuple[int, str]], str]:
    """Simple \\newcommand/\\def definitions as {name: (number of arguments, body)}, and the text
    with those definitions removed. Simple: mandatory arguments only (`\\newcommand{\\v}[1]{..#1..}`,
    `\\def\\v#1{..}`); a default optional argument or delimited \\def parameters are left as written."""
    macros: dict[str, tuple[int, str]] = {}
    spans = []
    for pattern in (_NEWCOMMAND, _DEF):
        for m in pattern.finditer(tex):
            nargs = int(m.group("n") or 0) if pattern is _NEWCOMMAND else len(m.group("params") or "") // 2
            body = braced(tex, m.end())
            if body is None or re.search(r"#(?![1-9])", body[0]) or \
                    any(int(k) > nargs for k in re.findall(r"#([1-9])", body[0])):
                continue        # unbalanced, or '#' used otherwise: left as written
            if m.group(1) in KEPT_COMMANDS:
                continue
            macros[m.group(1)] = (nargs, body[0])
            spans.append((m.start(), body[1]))
    out, last = [], 0
    for s, e in sorted(spans):
        if s >= last:
            out.append(tex[last:s])
            last = e
    out.append(tex[last:])
    return macros, "".join(out)


def expand_macros(tex: str, macros: dict[str, tuple[int, str]]) -> str:
    """Each use of a macro replaced by its body with its braced arguments put in; a use without
    its arguments in braces is left as written."""
    if not macros:
        return tex
    names = sorted(macros, key=len, reverse=True)
    pattern = re.compile("(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z@])")
    for _ in range(MAX_MACRO_PASSES):    # macros defined through other macros
        out, last, changed = [], 0, False
        for m in pattern.finditer(tex):
            if m.start() < last:
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
            out.append(tex[last:m.start()])
            out.append(re.sub(r"#([1-9])", lambda a: args[int(a.group(1)) - 1], body) if nargs else body)
            last, changed = pos, True
        out.append(tex[last:])
        tex = "".join(out)
        if not changed:
            break
    return tex


def _captions(body: str) -> str:
    out = []
    for m in re.finditer(r"\\caption\s*(\[[^\]]*\])?\s*(?=\{)", body):
        cap = braced(body, m.end())
        if cap:
            out.append(cap[0].strip())
    return "\n".join(out)


def inputenc_codec(data: bytes) -> str | None:
    """The Python codec of the encoding a file declares with inputenc, or with the CJK package's
    environment (`\\begin{CJK*}{GBK}{song}`: Chinese papers before UTF-8), if it declares a known one."""
    m = _INPUTENC.search(data)
    if m:
        for opt in m.group(1).decode("ascii", "replace").split(","):
            if opt.strip().lower() in INPUTENC_CODECS:
                return INPUTENC_CODECS[opt.strip().lower()]
    m = _CJK_ENV.search(data)
    return CJK_CODECS.get(m.group(1).decode("ascii").lower()) if m else None


def looks_binary(data: bytes) -> bool:
    """NUL bytes, or more than 5% control characters other than tab, newline, form feed, return."""
    if b"\0" in data:
        return True
    controls = sum(data.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    return controls > 0.05 * max(len(data), 1)


def tidy_lines(text: str) -> str:
    """Trailing blanks cut, runs of empty lines reduced to one (one pass; faster than two regexes)."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip(" \t")
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def is_main(tex: str) -> bool:
    """A main file: \\documentclass and \\begin{document}, outside comments."""
    t = strip_comments(tex)
    return bool(_DOCCLASS.search(t) and _BEGIN_DOC.search(t)) and not _PART_CLASS.search(t)


def _bulk(members: list[tarfile.TarInfo]) -> bool:
    """A tar of papers (arXiv's bulk layout: YYMM/YYMM.NNNNN.gz, one per paper), not one paper's files."""
    names = [m.name for m in members]
    return bool(names) and not any(n.endswith(".tex") for n in names) and \
        sum(n.endswith((".gz", ".tgz")) for n in names) * 2 > len(names)


def choose_main(files: dict[str, bytes]) -> str | None:
    """The main file of a paper's files: has \\documentclass and \\begin{document}; among several,
    the one no other file includes, then the one that includes most of the other .tex files (a
    paper's root, not a standalone figure or a test page beside it, whatever their sizes), then
    the largest, then by name."""
    tex = {n: d for n, d in files.items() if n.endswith(".tex")}
    mains = [n for n, d in tex.items() if b"\\documentclass" in d and is_main(d.decode("utf-8", "replace"))]
    if not mains:
        return None
    names = {posixpath.splitext(posixpath.normpath(n))[0] for n in tex}
    includes: dict[str, set[str]] = {}
    for n, d in tex.items():
        if any(cmd in d for cmd in _INCLUDE_CMDS):   # only the lines naming a file lose their comments
            lines = [strip_comments(line) for line in d.decode("utf-8", "replace").splitlines()
                     if any(cmd.decode() in line for cmd in _INCLUDE_CMDS)]
            includes[n] = {posixpath.splitext(posixpath.normpath(m.group(2) or m.group(3)))[0]
                           for line in lines for m in _INPUT.finditer(line)} | \
                {posixpath.splitext(posixpath.normpath(posixpath.join(m.group(2), m.group(3))))[0]
                 for line in lines for m in _IMPORT.finditer(line)}
    included = set().union(*includes.values())
    return sorted(mains, key=lambda n: (posixpath.splitext(n)[0] in included,
                                        -len(includes.get(n, set()) & names), -len(files[n]), n))[0]


class LatexReader(Reader):
    """LaTeX sources of a paper (directory or .tar.gz): includes resolved, preamble and comments removed."""
    name = "latex"

    floats: Literal["keep", "drop", "captions"] = Field(
        "captions", description="figure/table environments: keep as written, drop, or keep only their captions")
    bibliography: Literal["keep", "drop"] = Field(
        "drop", description="drop \\bibliography commands and thebibliography; keep leaves them and inlines a .bbl")
    expand_macros: bool = Field(True, description="expand simple \\newcommand/\\def macros (mandatory arguments only)")
    fallback_encoding: str = Field(
        "cp1252", description="codec for a non-UTF-8 file when neither it nor the main file declares one (inputenc)")

    @field_validator("fallback_encoding")
    @classmethod
    def _known_codec(cls, v: str) -> str:
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown codec {v!r}") from None
        return v

    def read(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        # arXiv serves a paper as a tarball, or as one gzipped .tex when it has a single file
        if path.endswith((".tar", ".tgz", ".gz", ".bz2", ".xz")):
            yield from self._read_archive(path, src, state)
        elif path.endswith(".tex"):
            yield from self._read_dir_file(path, src, state)
        else:
            state.count("latex_other_files_skipped")    # .bib, .sty, images: used through the main file

    # -- where the files come from -------------------------------------------------------------
    def _read_dir_file(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        if "://" in path:
            fs, _, (local,) = fsspec.get_fs_token_paths(path)
            cat, isfile = fs.cat_file, fs.isfile
            listing = lambda f: fs.glob(posixpath.join(f, "*.tex"))   # noqa: E731
        else:            # local files without fsspec's per-call overhead (a paper opens dozens)
            local = os.path.abspath(path)
            cat, isfile = (lambda p: Path(p).read_bytes()), os.path.isfile
            listing = lambda f: sorted(glob.glob(os.path.join(glob.escape(f), "*.tex")))   # noqa: E731
        folder = posixpath.dirname(local)
        raw = cat(local)
        if b"\\documentclass" not in raw or not is_main(raw.decode("utf-8", "replace")):
            state.count("latex_included_files_skipped")   # a section file: read through its main file
            return
        siblings = {posixpath.relpath(o, folder): cat(o) for o in listing(folder)}
        if choose_main(siblings) != posixpath.basename(local):
            state.count("latex_other_main_files_skipped")   # the folder's paper has another main file
            return

        def load(rel: str) -> bytes | None:
            p = posixpath.normpath(posixpath.join(folder, rel))
            return cat(p) if isfile(p) else None
        yield from self._paper(posixpath.basename(local), load, path, src, state)

    def _read_archive(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        data = read_whole(src, path, state, unbounded=True)      # figures make a paper's archive large
        if isinstance(data, Quarantined):
            yield Quarantined("corrupt_archive", f"{path}: {data.detail}", 0, path)
            return
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
                members = [m for m in tar if m.isfile()]
                if _bulk(members):
                    yield from self._read_bulk(tar, members, path, src, state)
                    return
                files = {posixpath.normpath(m.name): tar.extractfile(m).read() for m in members}
        except tarfile.TarError as e:
            if b"\\documentclass" in data[:1 << 20]:
                files = {"main.tex": data}        # a single compressed .tex
            elif path.endswith((".tar", ".tgz")) or ".tar." in posixpath.basename(path):
                yield Quarantined("corrupt_archive", f"{path}: not a tar archive: {e}", 0, path)
                return
            else:                                  # figure.eps.gz and the like, beside a paper's .tex files
                state.count("latex_other_files_skipped")
                return
        yield from self._paper_of(files, path, src, state)

    def _paper_of(self, files: dict[str, bytes], path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        """The paper among an archive's files (its main .tex, includes from its folder)."""
        main = choose_main(files)
        if main is None:
            yield Quarantined("no_main_tex", f"{path}: no .tex with \\documentclass and \\begin{{document}}", 0, path)
            return
        folder = posixpath.dirname(main)
        yield from self._paper(main, lambda rel: files.get(posixpath.normpath(posixpath.join(folder, rel))),
                               path, src, state, main_rel=posixpath.basename(main))

    def _read_bulk(self, tar: tarfile.TarFile, members: list[tarfile.TarInfo], path: str, src,
                   state: ReadState) -> Iterator[Doc | Quarantined]:
        """arXiv's bulk source tars (arXiv_src_YYMM_NNN.tar): each member is one paper, a gzipped
        tarball or a gzipped single .tex, or a PDF where no source was submitted (counted). One
        paper's files in memory at a time; a damaged paper is quarantined, the next one read."""
        for member in members:
            name = posixpath.normpath(member.name)
            paper = f"{path}#{name.removesuffix('.gz')}"
            raw = tar.extractfile(member).read()
            if raw[:2] == b"\x1f\x8b":
                try:
                    raw = gzip.decompress(raw)
                except (OSError, EOFError, zlib.error) as e:
                    yield Quarantined("corrupt_archive", f"{paper}: {type(e).__name__}: {e}", 0, paper)
                    continue
            if raw.startswith(b"%PDF"):
                state.count("latex_pdf_only_skipped")
                continue
            try:
                with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as inner:
                    files = {posixpath.normpath(m.name): inner.extractfile(m).read() for m in inner if m.isfile()}
            except tarfile.TarError:
                files = {"main.tex": raw} if b"\\documentclass" in raw[:1 << 20] else {}
            yield from self._paper_of(files, paper, src, state)

    # -- one paper ------------------------------------------------------------------------------
    def _paper(self, main: str, load: Callable[[str], bytes | None], path: str, src, state: ReadState,
               main_rel: str | None = None) -> Iterator[Doc | Quarantined]:
        encodings: dict[str, str] = {}
        problems: list[Quarantined] = []
        missing: list[str] = []
        main_rel = main_rel or main

        declared: list[str] = []        # the main file's inputenc encoding, for files that declare none

        def decode(rel: str, data: bytes) -> str | None:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                pass
            if looks_binary(data):
                problems.append(Quarantined("bad_encoding", f"{path}: {rel} is not UTF-8 and looks binary", 0,
                                            f"{path}#{rel}", len(data), data[:4096]))
                state.count("latex_undecodable_files")
                return None
            own = inputenc_codec(data)
            if not declared and own:
                declared.append(own)
            state.count("latex_non_utf8_files")
            # Under a CJK encoding the paper declared, a file is read in it: GBK or Big5 bytes form
            # valid UTF-8 sequences by chance, which the mostly-UTF-8 test would take for UTF-8.
            cjk = bool(declared) and declared[0] in _CJK_MULTIBYTE
            mixed = None if own or cjk else decode_mixed_utf8(data)
            if mixed is not None:       # UTF-8 but for stray bytes: the rest must not become mojibake
                encodings[rel] = "utf-8+cp1252"
                return mixed[0]
            enc = own or (declared[0] if declared else self.fallback_encoding)
            encodings[rel] = enc
            return data.decode(enc, errors="replace")

        def resolve(rel: str, stack: tuple[str, ...], here: str = "") -> str:
            names = [rel] if rel.endswith(".tex") else [rel + ".tex", rel]
            if here:     # not found from the root: beside the including file (the import package's rule)
                names += [posixpath.join(here, n) for n in names]
            for name in names:
                data = load(name)
                if data is not None:
                    break
            else:
                missing.append(rel)
                state.count("latex_missing_inputs")
                return ""
            if name in stack or len(stack) > MAX_INCLUDE_DEPTH:
                state.count("latex_include_cycles")
                return ""
            if not stack and (own := inputenc_codec(data)) not in (None, "utf-8"):
                declared.append(own)      # the main file's, ASCII or not, holds for the files it includes
            text = decode(name, data)
            if text is None:
                return ""
            text = strip_comments(text)
            if stack:     # an included standalone file: its body only
                b, e = _BEGIN_DOC.search(text), _END_DOC.search(text)
                if b:
                    text = text[b.end(): e.start() if e and e.start() > b.end() else len(text)]
            here = posixpath.dirname(name)
            text = _IMPORT.sub(lambda m: resolve(posixpath.join(here if m.group(1) else "", m.group(2).strip(),
                                                                m.group(3).strip()), stack + (name,)), text)
            return _INPUT.sub(lambda m: resolve((m.group(2) or m.group(3)).strip(), stack + (name,), here), text)

        text = resolve(main_rel, ())
        if not text:
            yield from problems or [Quarantined("empty_document", f"{path}: {main} is empty", 0, path)]
            return
        if self.expand_macros:
            macros, text = simple_macros(text)
            text = expand_macros(text, macros)
        title = None
        b = _BEGIN_DOC.search(text)
        if b:
            m = re.search(r"\\title\s*(\[[^\]]*\])?\s*(?=\{)", text[:b.start()])
            title = braced(text, m.end())[0].strip() if m and braced(text, m.end()) else None
            e = _END_DOC.search(text, b.end())
            text = text[b.end(): e.start() if e else len(text)]
        text = self._floats_and_bibliography(text, load, decode)
        text = tidy_lines(text)
        yield from problems
        if not text:
            yield Quarantined("empty_document", f"{path}: no text in the document body", 0, path)
            return
        if len(text) > src.max_doc_bytes:
            yield Quarantined("too_large", f"{path}: {len(text)} chars > max_doc_bytes", 0, path, len(text))
            return
        meta = {"main_file": main, "title": title, "missing_inputs": missing or None,
                "encodings": encodings or None}
        yield Doc(f"{path}#{main}" if not path.endswith(main) else path, None, text=text,
                  metadata={k: v for k, v in meta.items() if v is not None})

    def _floats_and_bibliography(self, text: str, load, decode) -> str:
        if self.floats == "drop":
            text = _FLOAT_ENV.sub("", text)
        elif self.floats == "captions":
            text = _FLOAT_ENV.sub(lambda m: _captions(m.group(2)), text)
        if self.bibliography == "drop":
            return _BIB_CMDS.sub("", _THEBIB.sub("", text))

        def bbl(m: re.Match) -> str:
            if m.group(1) != "bibliography" or not m.group(2):
                return m.group(0)
            name = m.group(2).strip(" {}").split(",")[0].strip()
            data = load(name + ".bbl")
            return (decode(name + ".bbl", data) or "") if data is not None else m.group(0)
        return _BIB_CMDS.sub(bbl, text)
