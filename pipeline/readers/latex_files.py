"""Which file of a LaTeX project is the paper (the LaTeX reader's main-file choice, latex.py).

A file *carries* a paper when it has `\\documentclass` and `\\begin{document}` itself or through
the files it includes (`\\input{style}` may hold the `\\documentclass`: a thesis template's
preamble file). A *wrapper* carries a paper only through a file beside it that carries one by
itself, and opens no document of its own: the HoTT book's `hott-ebook.tex` sets options and
`\\input{main}`s. The paper is then the wrapped file, once, not one copy per wrapper. A main file
is a carrier that is no wrapper and that no other main file includes (a standalone figure
`\\input` into the paper is part of it); among several, the one including most of the other
files, then the largest, then by name; but a file named as a paper's companion (`supplement.tex`,
`ms_SI.tex`, `appendix.tex`, `response_to_reviewers.tex`, `cover_letter.tex`: `companion`) ranks
after all others: arXiv sources ship a self-contained supplement or reply to the referees beside
the paper, often larger than it or including more files. Files of class `subfiles` or
`standalone` are parts of a paper, never the paper. LaTeX 2.09's `\\documentstyle` is a
`\\documentclass`: most arXiv papers of the 1990s have it.

Plain TeX (harvmac, `\\magnification`) and AMS-TeX papers have no `\\begin{document}`: nothing
but their end marks them. Only when no file carries a LaTeX paper, a file is a plain-TeX paper
(`plain`) when, comments aside, it ends with `\\bye`, a bare `\\end` or AMS-TeX's `\\enddocument`
and it and its includes hold at least MIN_PLAIN_WORDS words of prose (outside control words and
`$..$` math): a section file or a macro file (harvmac.tex, which a paper may ship) ends otherwise
or holds next to no prose. Among several, the same ranking as for LaTeX main files. Extensions
are matched in any case (`Main.TEX`, written on case-insensitive file systems).

arXiv's 00README at the project's root says it outright, and arXiv's AutoTeX follows it: the files
it marks `toplevelfile` (00README.XXX's lines `name directive`; `"usage": "toplevel"` of the JSON,
YAML or TOML 00README arXiv now writes, which wins over the .XXX) are the main files, ranked as
above; the ones it marks `ignore` are never read, so never main and never included. Names are
from the root; a 00README that cannot be parsed is reported (`readme_problem`) and not followed.

A folder's paper may span its subfolders, as an archive's does: it does when the folder holds a
00README, or when its main file reads a file below it (`\\input{sections/intro}`): `spans`. A
folder whose paper reads nothing below it (a collection's loose paper beside paper folders) does
not: the papers of its subfolders are their own.
"""
from __future__ import annotations

import json
import posixpath
import re
import tomllib
from typing import Callable, Iterable, NamedTuple

import yaml

from pipeline.readers.latex_text import newlines, strip_comments

INPUT = re.compile(r"\\(input|include|subfile)\s*(?:\{([^{}]+)\}|\s([^\s{}\\]+))")
# The import package: \import{dir}{file} from the paper's root, \subimport{dir}{file} from the
# including file's folder (and the *from forms, their aliases).
IMPORT = re.compile(r"\\(sub)?(?:import|inputfrom|includefrom)\*?\s*\{([^{}]*)\}\s*\{([^{}]+)\}")
_INCLUDE_CMDS = (b"\\input", b"\\include", b"\\subfile", b"\\import", b"\\subimport")
_INCLUDE_LINE = re.compile(r"^.*\\(?:input|include|subfile|import|subimport).*$", re.M)
_DOCCLASS = re.compile(r"\\document(?:class|style)(?![A-Za-z@])")
# Document classes of files that are parts of a paper, never the paper: a subfile of the subfiles
# package, a standalone figure or table.
_PART_CLASS = re.compile(r"\\document(?:class|style)\s*(?:\[[^\]]*\])?\s*\{(?:subfiles|standalone)\}")
BEGIN_DOC = re.compile(r"\\begin\s*\{document\}")
END_DOC = re.compile(r"\\end\s*\{document\}")
# The end of a plain-TeX (\bye, \end: not \end{..}) or AMS-TeX (\enddocument) file: the job ends there.
PLAIN_END = re.compile(r"\\(?:bye|end|enddocument)(?![A-Za-z@])\s*\Z")
MIN_PLAIN_WORDS = 20
_WORD = re.compile(r"\\[A-Za-z@]+|\$\$.*?\$\$|\$[^$]*\$|([^\W\d_]{2,})", re.S)
_DEFINITION = re.compile(r"\\(?:[egx]?def|let|font|catcode|(?:math)?chardef|new[a-z]+)(?![A-Za-z@])")


# arXiv's 00README (info.arxiv.org/help/00README.html): .XXX is the classic line format, the others
# the structured one arXiv writes now and prefers where both are there.
_README = re.compile(r"00readme\.(xxx|json|jsn|ndjson|ya?ml|toml)", re.I)
_README_LINE_USAGE = {"toplevelfile": "toplevel", "ignore": "ignore", "include": "include", "append": "append"}


def readme_directives(name: str, data: bytes) -> dict[str, str]:
    """{path from the root: usage} ('toplevel', 'ignore', 'include', 'append') of the 00README `name`;
    an entry of the structured format with no usage and nothing else is a top-level file, as arXiv
    reads it. Lines or entries about other things (landscape, fontmaps) are not kept. ValueError
    when the file cannot be parsed."""
    text = data.decode("utf-8", "replace")
    if name.lower().endswith(".xxx"):
        pairs = [line.split() for line in text.splitlines()]
        out = {p[0]: _README_LINE_USAGE[p[1]] for p in pairs if len(p) == 2 and p[1] in _README_LINE_USAGE}
    else:
        try:
            ext = name.lower().rsplit(".", 1)[1]
            spec = tomllib.loads(text) if ext == "toml" else yaml.safe_load(text) if ext in ("yml", "yaml") \
                else json.loads(text)
        except (ValueError, yaml.YAMLError) as e:      # JSONDecodeError, TOMLDecodeError are ValueErrors
            raise ValueError(f"{name}: {type(e).__name__}: {e}") from None
        sources = spec.get("sources") if isinstance(spec, dict) else None
        if not isinstance(sources, list) or not all(isinstance(e, dict) and e.get("filename") for e in sources):
            raise ValueError(f"{name}: no list of sources with filenames")
        out = {str(e["filename"]): str(e.get("usage") or ("" if any(v is not None for k, v in e.items()
                                                                   if k != "filename") else "toplevel"))
               for e in sources}
    return {posixpath.normpath(k): v for k, v in out.items() if v}


# Names of the papers that come with a paper: its supplement (`supplement.tex`, `suppmat.tex`),
# appendix, or the letters of its review (`response_to_reviewers.tex`, `rebuttal.tex`, `cover_letter.tex`);
# not `letter` alone, which names many Physical Review Letters papers
_COMPANION_WORD = re.compile(r"(?:suppl|supplement(?:s|al|ary)?|suppmat|appendix|appendices|"
                             r"response|responses|reply|replies|rebuttal|cover|coverletter|referees?|reviewers?)")
# Abbreviations that are companions only as a word after another (`ms_SI`, `main-sm`, `paper_supp`,
# `PaperESM`), all capitals or all lower case: alone or first they name the paper's subject as often
# (`SI.tex`, `SM_EFT.tex`: the International System, the Standard Model), and Si and Sm are silicon
# and samarium (`Si_nanowires.tex`, `DMRG_Si.tex`).
_COMPANION_ABBREVIATION = {"si", "sm", "esm", "supp"}


def companion(name: str) -> bool:
    """Whether the file's name says it is a paper's companion (supplement, appendix, letter to the
    referees), not the paper: a word of its name (split at non-letters and camel case) is one, or
    an abbreviation of one (_COMPANION_ABBREVIATION) is a word after the first."""
    stem = posixpath.splitext(posixpath.basename(name))[0]
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", stem)
    return any(_COMPANION_WORD.fullmatch(w.lower()) for w in words) or \
        any(w.lower() in _COMPANION_ABBREVIATION and (w.isupper() or w.islower()) for w in words[1:])


def is_tex(name: str) -> bool:
    return name.lower().endswith(".tex")


def prose_words(tex: str) -> int:
    """Words of two letters or more in comment-free `tex`, outside control words and `$..$` math."""
    return sum(1 for m in _WORD.finditer(tex) if m.group(1))


def macro_file(tex: str) -> bool:
    """Comment-free `tex` is macro code (harvmac.tex, a paper's own macros), not prose: at least 5
    definitions (\\def, \\let, \\font, \\catcode, \\new..) and fewer than 5 words per definition."""
    defs = len(_DEFINITION.findall(tex))
    return defs >= 5 and prose_words(tex) < 5 * defs

Load = Callable[[str], "bytes | None"]


def candidates(rel: str, here: str = "") -> list[str]:
    """The paths `\\input{rel}` may mean, in LaTeX's order: `rel.tex` (`rel.TEX`), then `rel`; then the same
    beside the including file (`here`; the import package's rule)."""
    names = [rel] if is_tex(rel) else [rel + ".tex", rel + ".TEX", rel]
    return names + ([posixpath.join(here, n) for n in names] if here else [])


def targets(text: str, here: str) -> list[tuple[str, str]]:
    """(path, folder also searched) of each file the comment-free `text` includes, imports first
    (the reader resolves them in that order); `here` is the including file's folder."""
    out = [(posixpath.join(here if m.group(1) else "", m.group(2).strip(), m.group(3).strip()), "")
           for m in IMPORT.finditer(text)]
    return out + [((m.group(2) or m.group(3)).strip(), here) for m in INPUT.finditer(text)]


class _Own(NamedTuple):
    """What one file says by itself."""
    docclass: bool      # \documentclass of a paper (not subfiles/standalone)
    begin: bool
    end: bool
    part: bool          # class subfiles or standalone
    ends: bool          # ends as a plain-TeX or AMS-TeX file does (\bye, \end, \enddocument)
    includes: list[tuple[str, str]]


def _own(name: str, data: bytes) -> _Own:
    here = posixpath.dirname(name)
    flags = [False] * 4
    if b"\\documentclass" in data or b"\\documentstyle" in data or b"{document}" in data:
        t = strip_comments(newlines(data.decode("utf-8", "replace")))
        part = bool(_PART_CLASS.search(t))
        flags = [bool(_DOCCLASS.search(t)) and not part, bool(BEGIN_DOC.search(t)), bool(END_DOC.search(t)), part]
    # the last lines, comments aside (a '%' line end cut in the middle only loses a comment)
    ends = (b"\\bye" in data or b"\\end" in data) and \
        bool(PLAIN_END.search(strip_comments(newlines(data[-4096:].decode("utf-8", "replace")))))
    includes = []
    if any(cmd in data for cmd in _INCLUDE_CMDS):   # only the lines naming a file lose their comments
        lines = "\n".join(strip_comments(line) for line in
                          _INCLUDE_LINE.findall(newlines(data.decode("utf-8", "replace"))))
        includes = targets(lines, here)
    return _Own(*flags, ends, includes)


class Project:
    """A paper's files as `load(path)` gives them (paths from the project's root, bytes or None),
    each file read and parsed once. `root_files`: names of files at the root, among which arXiv's
    00README is looked for (the structured one first); a file it marks `ignore` loads as None."""

    def __init__(self, load: Load, root_files: Iterable[str] = ()):
        self._load = load
        self._data: dict[str, bytes | None] = {}
        self._own: dict[str, _Own] = {}
        self.usage: dict[str, str] = {}        # the 00README's directives, {path: usage}
        self.readme: str | None = None
        self.readme_problem: str | None = None
        readmes = sorted((n for n in root_files if _README.fullmatch(n)), key=lambda n: (n.lower().endswith(".xxx"), n))
        for name in readmes[:1]:
            try:
                self.usage = readme_directives(name, load(name) or b"")
                self.readme = name
            except ValueError as e:
                self.readme_problem = str(e)

    def ignored(self, name: str) -> bool:
        return self.usage.get(posixpath.normpath(name)) == "ignore"

    def toplevel(self, name: str) -> bool:
        return self.usage.get(posixpath.normpath(name)) == "toplevel"

    def data(self, name: str) -> bytes | None:
        name = posixpath.normpath(name)
        if name not in self._data:
            self._data[name] = None if self.ignored(name) else self._load(name)
        return self._data[name]

    def find(self, rel: str, here: str = "") -> str | None:
        """The file `\\input{rel}` in a file of folder `here` reads (normalized), or None."""
        return next((posixpath.normpath(n) for n in candidates(rel, here) if self.data(n) is not None), None)

    def own(self, name: str) -> _Own:
        if name not in self._own:
            self._own[name] = _own(name, self.data(name) or b"")
        return self._own[name]

    def included(self, name: str) -> list[str]:
        """The files `name` includes that exist, in order."""
        return [f for rel, here in self.own(name).includes if (f := self.find(rel, here)) is not None]

    def closure(self, name: str) -> list[str]:
        """`name` and every file it includes, directly or not, in reading order (cycles cut)."""
        seen, order = set(), []

        def visit(n: str) -> None:
            if n in seen or len(seen) > 4096:
                return
            seen.add(n)
            order.append(n)
            for f in self.included(n):
                visit(f)
        visit(posixpath.normpath(name))
        return order

    def carries(self, name: str) -> bool:
        """`\\documentclass` and `\\begin{document}` in the file or what it includes (parts aside)."""
        if self.own(name).part:
            return False
        owns = [self.own(n) for n in self.closure(name) if not self.own(n).part]
        return any(o.docclass for o in owns) and any(o.begin for o in owns)

    def wraps(self, name: str) -> bool:
        """A wrapper: no `\\begin`/`\\end{document}` of its own, includes a file beside it that
        carries a paper by itself."""
        own = self.own(name)
        return not own.begin and not own.end and any(
            posixpath.dirname(f) == posixpath.dirname(name) and f != name and self.carries(f)
            for f in self.included(name))

    def plain(self, name: str) -> bool:
        """A plain-TeX (or AMS-TeX) paper, as the module says (whether a LaTeX paper is beside it: `main`)."""
        own = self.own(name)
        if own.part or own.begin or not own.ends:
            return False
        words = 0
        for n in self.closure(name):
            words += prose_words(strip_comments(newlines((self.data(n) or b"").decode("utf-8", "replace"))))
            if words >= MIN_PLAIN_WORDS:
                return True
        return False

    def is_main(self, name: str) -> bool:
        """Carries a paper and is no wrapper (whether another main file includes it: `main`)."""
        return self.carries(name) and not self.wraps(name)

    def main(self, names: list[str]) -> str | None:
        """The main file among `names` (the .tex files of a folder or an archive): the 00README's
        top-level file, else a LaTeX paper's, else a plain-TeX paper's; never one it ignores."""
        names = [n for n in map(posixpath.normpath, names) if not self.ignored(n)]
        mains = [n for n in names if self.toplevel(n)] or [n for n in names if self.is_main(n)] or \
            [n for n in names if self.plain(n)]
        inside = {f for m in mains for f in self.closure(m)[1:]}
        tops = [m for m in mains if m not in inside] or mains       # a cycle of mains: rank them all
        ranked = sorted(tops, key=lambda n: (companion(n), -len(set(self.included(n)) - {n}),
                                             -len(self.data(n) or b""), n))
        return ranked[0] if ranked else None

    def other_mains(self, names: list[str], main: str | None) -> list[str]:
        """The files of `names` that would be papers of their own beside the chosen `main` (a
        standalone supplementary.tex): each carries a paper or is a plain-TeX one, wraps none, and
        is not read as part of `main`. The reader counts them, in a folder and in an archive alike."""
        read = set(self.closure(main)) if main else set()
        return [n for n in map(posixpath.normpath, names) if n not in read and not self.ignored(n)
                and (self.carries(n) or self.plain(n)) and not self.wraps(n)]

    def spans(self, names: list[str]) -> bool:
        """Whether the paper of this project's root folder (`names`: its own .tex files) spans its
        subfolders, as the module says: a 00README there, or a main file reading a file below it."""
        if self.readme or self.readme_problem:
            return True
        main = self.main(names)
        return main is not None and any("/" in f and not f.startswith("../") for f in self.closure(main)[1:])


def choose_main(files: dict[str, bytes]) -> str | None:
    """The main file of a paper's files (an archive's: {path: bytes}), as the module says."""
    project = Project(lambda n: files.get(n), files)
    found = project.main(sorted(n for n in files if is_tex(n)))
    # the caller's spelling of the path
    return next((n for n in files if posixpath.normpath(n) == found), found) if found else None
