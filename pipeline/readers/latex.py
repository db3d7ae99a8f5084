"""LaTeX paper sources: a paper's directory, its `.tar.gz` or one gzipped `.tex` (arXiv's source forms),
or arXiv's bulk source tars (`arXiv_src_2301_001.tar`: one gzipped tarball or .tex per paper, PDFs
where no source was given, counted as `latex_pdf_only_skipped`, and the PostScript of papers
submitted as PostScript, `latex_postscript_only_skipped`), or a project `.zip` (Overleaf's
download; zipfile reads it as cheaply as tarfile a tar, and counting it skipped lost it silently).
A file named as arXiv's `/e-print/<id>` downloads are, without an extension (`2301.00004`,
`9901001`), is read by its content (gzip, tar, PDF or PostScript counted so, or TeX that holds a
paper): those were all counted as other files and lost. An archive that holds no files, or no
.tex file, is quarantined `no_main_tex` saying so.

An archive (or compressed file) that holds a paper is read as one wherever it is. One that holds
none, beside a paper (in a paper's folder, or below it: the nearest folder above it that holds
.tex files has a paper), is that paper's data (`data.tar.xz`, `figures.zip` in a paper's checkout):
counted `latex_data_archives_skipped`, not quarantined as a paper that failed; anywhere else (a
folder of e-prints, a bulk tar) it stays `no_main_tex`. The content decides first, so a paper's
archive is never lost for where it sits, and a damaged archive is `corrupt_archive` wherever it
is; the folder decides only for an intact archive without a paper, which beside a paper is far
likelier its data than a failed paper (a folder mixing loose papers and failed paper archives is
the case this counts rather than quarantines).

A lone gzipped file is a paper when its content is TeX (looks_tex: text with control words, not
PostScript, PDF or BibTeX): one that then has no paper in it is quarantined `no_main_tex` (beside a
paper: its data, above), not counted with figure.eps.gz, so that a form of paper the reader misses
shows up in the quarantine.

One document per paper (per archive; per folder of `.tex` files, with its subfolders where its
paper reads files from them or it holds arXiv's 00README, as in its archive: latex_files.py says
when a folder's paper spans its subfolders; a file below such a folder is chosen or counted among
all of them). arXiv's 00README names the main file and the files never read. The main file has
`\\documentclass` (or LaTeX 2.09's `\\documentstyle`) and `\\begin{document}`, itself or through a
file it includes (a thesis template's `\\input{style}` may hold the class); a wrapper that only
sets options and `\\input{main}`s (the HoTT book's `hott-ebook.tex`) is no paper, the file it wraps
is; among several, the one no other main file includes, then one not named as a companion
(a supplement, a reply to the referees), then the one including most of the other `.tex` files,
then the largest (latex_files.py has the rule). Where no file has, a plain-TeX or
AMS-TeX paper (ending with `\\bye`, `\\end` or `\\enddocument`, with prose) is the main file: having
no preamble marked, its body is all of it up to that end, and a macro file it includes
(harvmac.tex shipped along) is left out and counted (`latex_macro_files_skipped`). Other files are
counted: read through the main file, wrappers, other main files (a second paper beside the main
one, a standalone supplementary.tex: `latex_other_main_files_skipped`, in a folder and in an
archive alike), non-`.tex` files.
From it: verbatim text kept as written (`verbatim`, `lstlisting`, `minted`, fancyvrb's `Verbatim`,
the environments the paper defines with \\lstnewenvironment, \\DefineVerbatimEnvironment,
\\newminted, `\\verb|..|`, and the address of `\\url`/`\\href`: a `%` in code or in `x%20y` is no
comment), comments (and `\\iffalse`/`\\if0` blocks, the environments the comment package's
`\\excludecomment{name}` declares, and the branch TeX skips of a `\\newif` flag the paper sets one
way only, true or false) removed, `\\input`, `\\include`, `\\subfile` and the
import package's `\\import`/`\\subimport` resolved recursively (a missing file or an include cycle
is dropped and counted; a subfile's or a standalone figure's own `\\documentclass` makes no paper),
simple user macros (`\\newcommand{\\x}[1]{...#1...}`, `\\def\\x{...}`; mandatory arguments only;
the last definition, a `\\renewcommand` of the paper's own macro among them) expanded, but not
package code (a macro using `@` internals or referring to itself: counted as
`latex_macros_not_expanded`), and not past a growth bound (`latex_macro_expansion_stopped`), the
preamble cut (the document is the body of `document`), the bibliography (kept: `<main>.bbl`,
which BibTeX writes, or `<name>.bbl` inlined for `\\bibliography{name}`) and figure/table floats
kept, dropped or (floats) reduced to their captions by option. Math stays LaTeX, as in
RedPajama's arXiv slice.

Hand-written on purpose: LaTeX parsers (pylatexenc, TexSoup) turn the source into text or a tree
and lose the LaTeX math this corpus keeps; RedPajama's arXiv cleaner is the same kind of small set
of regular expressions with a brace matcher.

Every file read is cut at a line starting with `\\endinput`, as TeX stops reading it there, and
its CRLF or lone-CR line ends become LF before any rule runs (latex_text.py says why).

Encoding: UTF-8 (a BOM dropped); a file that is not UTF-8 (arXiv has many latin-1 sources) is
decoded with the encoding its `\\usepackage[...]{inputenc}`, its ctex class or package options
(`\\documentclass[GBK]{ctexart}`) or its CJK environment (`\\begin{CJK*}{GBK}{song}`) declares,
else the one the main file declares (under a CJK encoding before the mostly-UTF-8 test below,
whose valid sequences GBK forms by chance). A file without its own declaration that is mostly
UTF-8 (decode_files.may_be_utf8_with_strays, as the Gutenberg reader asks: GBK and Shift-JIS pairs form valid UTF-8 by
chance, beside stray bytes in the same run) but for a few stray bytes (a latin-1 line pasted in)
keeps its UTF-8 and only the stray bytes are read as cp1252 ("utf-8+cp1252"). Otherwise, when the
code reader's detection (decode_files.decode_unlabelled) names a multi-byte charset, that one (pLaTeX
papers, `jarticle`, `jsbook`, in Shift-JIS or EUC-JP, declare none; counted
`latex_charset_detected_files`; it then holds for the files after it, as a declaration would),
else `fallback_encoding` (cp1252: latin-1 plus the Windows punctuation, the commonest legacy
encoding of Western sources): statistical detectors misjudge short LaTeX files, whose bytes are
mostly ASCII markup, among single-byte charsets. The encoding used is recorded in
`metadata.encodings`; a file its encoding cannot read whole has U+FFFD for those bytes and the
document is flagged `decoded_lossy` (`metadata.flags`, counted `latex_decoded_lossy_files`), as
the web and Gutenberg readers flag theirs. A file with NUL bytes or many control characters is
binary: quarantined as `bad_encoding` (the main file: no document; an included file: left out,
the paper goes on).
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
import zipfile
import zlib
from pathlib import Path
from typing import Iterator, Literal

import fsspec
from pydantic import Field, field_validator

from pipeline.readers.base import (Doc, Quarantined, ReadState, Reader, decode_mixed_utf8, memoized,
                                    read_whole)
from pipeline.readers.charsets import _MULTIBYTE
from pipeline.readers.decode_files import decode_unlabelled, may_be_utf8_with_strays
from pipeline.readers.decompress import looks_like_tar, sniff_codec
from pipeline.readers.guarded import open_input, reading
# The main-file choice and the text rules (comments, verbatim, macros) live beside this module;
# choose_main, strip_comments and tidy_lines are imported from here by tests and other readers.
from pipeline.readers.latex_files import (  # noqa: F401
    BEGIN_DOC, END_DOC, IMPORT, INPUT, MIN_PLAIN_WORDS, PLAIN_END, Project, candidates, choose_main, is_tex,
    macro_file)
from pipeline.readers.latex_text import (  # noqa: F401
    VERBATIM_ENVS, braced, comment_environments, cut_endinput, drop_notes, expand_macros, newlines, protect_verbatim,
    restore_verbatim, simple_macros, strip_comments, strip_false_flags, tidy_lines, verbatim_definitions)

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
# ctex's classes and package name the file's encoding in their options (\documentclass[GBK]{ctexart}):
# GBK before ctex 2.0 made UTF8 the default
_CTEX = re.compile(rb"\\(?:documentclass|usepackage)\s*\[([^\]]*)\]\s*\{\s*ctex(?:art|rep|book|beamer|cap)?\s*\}")
CTEX_CODECS = {"gbk": "gb18030", "utf8": "utf-8"}
MAX_INCLUDE_DEPTH = 32
MAX_ROOT_LEVELS = 8             # folders above a .tex file looked at for the root of its paper
MAX_CACHED_FOLDERS = 16         # folders whose files and main-file choice a reading keeps (_Folders)
_TEX_GLOB = "*.[tT][eE][xX]"
_README_GLOB = "00[rR][eE][aA][dD][mM][eE].*"
MAX_ZIP_MEMBER = 256 << 20      # bytes a zip member may declare; zipfile reads no more than declared
_TITLE = re.compile(r"\\title\s*(\[[^\]]*\])?\s*(?=\{)")
_CONTROL_WORD = re.compile(rb"\\([A-Za-z]{2,})")
_NOT_TEX = (b"%!", b"%PDF", b"@")      # PostScript (figure.eps.gz), PDF, a BibTeX database
# A file named as arXiv's /e-print/<id> downloads are: no extension (`9901001`, an old-style id's
# number), or the new-style id's number as if one (`2301.00004`, `2301.00004v2`)
_EPRINT_NAME = re.compile(r"[^.]+|[^.]*\.[0-9]+(?:v[0-9]+)?")
EPRINT_SNIFF = 1 << 16      # bytes of an e-print's start judged (looks_tex reads 64 KiB)
_NO_MAIN = ("no LaTeX paper (\\documentclass or \\documentstyle, and \\begin{document}) and no plain-TeX "
            f"paper (ending with \\bye, \\end or \\enddocument, {MIN_PLAIN_WORDS}+ words of prose)")


def _no_source(data: bytes) -> str | None:
    """The counter of a submission without source, by its first bytes: arXiv serves a PDF where
    none was given, and a PostScript document (gzipped) for the 1990s papers submitted as one; an
    EPS file (`%!PS-Adobe-3.0 EPSF-3.0`) is a figure, not a paper."""
    if data.startswith(b"%PDF"):
        return "latex_pdf_only_skipped"
    if data.startswith(b"%!PS") and b"EPSF" not in data[:256].split(b"\n", 1)[0]:
        return "latex_postscript_only_skipped"
    return None


def _no_main(files: dict[str, bytes], names: list[str]) -> str:
    """Why an archive's files hold no paper: none (an empty archive), no .tex file, or .tex files
    that are no paper."""
    if not files:
        return "the archive holds no files"
    if not names:
        shown = ", ".join(sorted(files)[:5]) + (", ..." if len(files) > 5 else "")
        return f"no .tex file among its {len(files)} files ({shown})"
    return _NO_MAIN


def _captions(body: str) -> str:
    out = []
    for m in re.finditer(r"\\caption\s*(\[[^\]]*\])?\s*(?=\{)", body):
        cap = braced(body, m.end())
        if cap:
            out.append(cap[0].strip())
    return "\n".join(out)


def inputenc_codec(data: bytes) -> str | None:
    """The Python codec of the encoding a file declares with inputenc, with ctex's class or package
    options (`\\documentclass[GBK]{ctexart}`) or with the CJK package's environment
    (`\\begin{CJK*}{GBK}{song}`: Chinese papers before UTF-8), if it declares a known one."""
    for pattern, known in ((_INPUTENC, INPUTENC_CODECS), (_CTEX, CTEX_CODECS)):
        if m := pattern.search(data):
            for opt in m.group(1).decode("ascii", "replace").split(","):
                if opt.strip().lower() in known:
                    return known[opt.strip().lower()]
    m = _CJK_ENV.search(data)
    return CJK_CODECS.get(m.group(1).decode("ascii").lower()) if m else None


def detected_multibyte(data: bytes) -> str | None:
    """The multi-byte (CJK) charset the code reader's detection (decode_files.decode_unlabelled) names for
    a file that is neither UTF-8 nor mostly so, or None: pLaTeX papers (jarticle, jsbook) in
    Shift-JIS or EUC-JP declare no encoding. A single-byte answer is not taken: detectors misjudge
    short, mostly-ASCII LaTeX files, and `fallback_encoding` says what such a file is."""
    enc = decode_unlabelled(data)[1].removesuffix("+lossy")
    return enc if enc in _MULTIBYTE else None


def looks_binary(data: bytes) -> bool:
    """NUL bytes, or more than 5% control characters other than tab, newline, form feed, return."""
    if b"\0" in data:
        return True
    controls = sum(data.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    return controls > 0.05 * max(len(data), 1)


def looks_tex(data: bytes) -> bool:
    """TeX source: text, not PostScript, PDF or BibTeX, with at least 3 distinct control words."""
    head = data[:1 << 20]
    return not head.lstrip().startswith(_NOT_TEX) and not looks_binary(head[:65536]) and \
        len(set(_CONTROL_WORD.findall(head[:65536]))) >= 3


def _bulk(members: list[tarfile.TarInfo]) -> bool:
    """A tar of papers (arXiv's bulk layout: YYMM/YYMM.NNNNN.gz, one per paper), not one paper's files."""
    names = [m.name for m in members]
    return bool(names) and not any(is_tex(n) for n in names) and \
        sum(n.lower().endswith((".gz", ".tgz")) for n in names) * 2 > len(names)


class LatexReader(Reader):
    """LaTeX sources of a paper (directory or .tar.gz): includes resolved, preamble and comments removed."""
    name = "latex"
    empty_files_are_ordinary = True        # an empty __init__.py, .gitkeep or .bib in a tree
    # 2: main files through included preambles and wrappers, verbatim kept, no package-code macros;
    # 3: a paper's companion (supplement, reply to referees) not taken for it, a paper's data archives counted;
    # 4: si/sm/esm/supp name a companion only after another word (Si_nanowires.tex, SM_EFT.tex are papers)
    version = "4"

    floats: Literal["keep", "drop", "captions"] = Field(
        "captions", description="figure/table environments: keep as written, drop, or keep only their captions")
    bibliography: Literal["keep", "drop"] = Field(
        "drop", description="drop \\bibliography commands and thebibliography; keep leaves them and inlines "
                        "the .bbl (<main>.bbl, else <name>.bbl of \\bibliography{name})")
    expand_macros: bool = Field(True, description="expand simple \\newcommand/\\def macros (mandatory arguments "
                                "only; not those using @-internals or themselves, growth bounded)")
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
        # arXiv serves a paper as a tarball, or as one gzipped .tex when it has a single file;
        # Overleaf downloads a project as a .zip
        lower = path.lower()
        if lower.endswith((".tar", ".tgz", ".gz", ".bz2", ".xz")):
            yield from self._read_archive(path, src, state)
        elif lower.endswith(".zip"):
            yield from self._read_zip(path, src, state)
        elif is_tex(path):
            yield from self._read_dir_file(path, src, state)
        elif _EPRINT_NAME.fullmatch(posixpath.basename(path.rstrip("/"))):
            yield from self._read_eprint(path, src, state)      # arXiv's e-print download, by content
        else:
            state.count("latex_other_files_skipped")    # .bib, .sty, images: used through the main file

    # -- where the files come from -------------------------------------------------------------
    def _read_dir_file(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        tree = _Tree(path, state)
        folder, name = posixpath.dirname(tree.local), posixpath.basename(tree.local)
        project = tree.at(folder)       # each file read once, for the choice and for the paper
        if project.ignored(name):
            state.count("latex_ignored_files_skipped")      # the 00README says so
            return
        if not project.toplevel(name):
            if not project.carries(name) and not project.plain(name):
                state.count("latex_included_files_skipped")   # a section file: read through its main file
                return
            if project.wraps(name):      # options, then \input{main}: the paper is read from main
                state.count("latex_wrapper_files_skipped")
                return
        root, names, chooser, main = tree.paper(folder)
        mine = posixpath.relpath(tree.local, root)
        if main != mine:       # the paper has another main file: this one is a paper, or read in it
            state.count("latex_ignored_files_skipped" if chooser.ignored(mine) else
                        "latex_other_main_files_skipped" if chooser.other_mains([mine], main)
                        else "latex_included_files_skipped")
            return
        _count_readme(chooser, [], state)     # the files it ignores are counted as each is read
        if root != folder:     # read from its own folder, with what the root's 00README ignores left out
            sub = posixpath.dirname(mine)
            project = Project(lambda rel: chooser.data(posixpath.join(sub, rel)))
        yield from self._paper(name, project, path, src, state)

    def _read_eprint(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        """A file without an extension, as arXiv's /e-print/<id> downloads (and mirrors) name a
        paper's source, read by what its first bytes are: compressed (a gzipped tarball or .tex)
        or a tar, as an archive; a PDF or PostScript document (no source submitted), counted;
        TeX text that holds a paper, as that one-file paper. Anything else (a README, a Makefile,
        an included file without extension) is counted as an other file, as before."""
        with open_input(path) as f:
            head = f.read(EPRINT_SNIFF)
        if sniff_codec(head) or looks_like_tar(head):
            yield from self._read_archive(path, src, state, eprint=True)
        elif no_source := _no_source(head):
            state.count(no_source)
        elif looks_tex(head):
            data = head if len(head) < EPRINT_SNIFF else read_whole(src, path, state, unbounded=True)
            if isinstance(data, Quarantined):
                yield data
            elif choose_main({"main.tex": data}) is None:
                state.count("latex_other_files_skipped")     # a paper's file without extension: not one
            else:
                yield from self._paper_of({"main.tex": data}, path, src, state)
        else:
            state.count("latex_other_files_skipped")

    def _read_archive(self, path: str, src, state: ReadState, eprint: bool = False) -> Iterator[Doc | Quarantined]:
        # whole (figures make a paper's archive large), decompressed by what its first bytes say:
        # a plain .tex or a tar named .gz, bzip2 named .gz, gzip named .tar (compression_by_content)
        data = read_whole(src, path, state, unbounded=True, sniff=True)
        if isinstance(data, Quarantined):
            yield Quarantined("corrupt_archive", f"{path}: {data.detail}", 0, path)
            return
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
                members = [m for m in tar if m.isfile()]
                yield from _after_archive(data, tar.offset, path, state)
                if _bulk(members):
                    yield from self._read_bulk(tar, members, path, src, state)
                    return
                files = {posixpath.normpath(m.name): tar.extractfile(m).read() for m in members}
        except tarfile.TarError as e:
            if looks_tex(data):
                files = {"main.tex": data}        # a single compressed .tex: a paper, or quarantined
            elif eprint and (no_source := _no_source(data)):
                state.count(no_source)
                return
            elif path.endswith((".tar", ".tgz")) or ".tar." in posixpath.basename(path) or \
                    (eprint and looks_like_tar(data[:512])):
                yield Quarantined("corrupt_archive", f"{path}: not a tar archive: {e}", 0, path)
                return
            else:                                  # figure.eps.gz and the like, beside a paper's .tex files
                state.count("latex_other_files_skipped")
                return
        yield from self._paper_of(files, path, src, state, loose=True)

    def _read_zip(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        """A project as a .zip (Overleaf's download): its files, as a tarball's. Read as bytes:
        fsspec's inferred compression would give the zip's first member only."""
        with open_input(path) as f:
            data = f.read()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                members = [i for i in z.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
                if big := [i for i in members if i.file_size > MAX_ZIP_MEMBER]:    # a zip bomb, a video
                    state.count("latex_large_zip_members_skipped", len(big))
                files = {posixpath.normpath(i.filename): z.read(i) for i in members if i.file_size <= MAX_ZIP_MEMBER}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
                zlib.error) as e:     # damaged, encrypted (RuntimeError), an unknown compression method
            yield Quarantined("corrupt_archive", f"{path}: not a readable zip archive: {type(e).__name__}: {e}",
                              0, path)
            return
        yield from self._paper_of(files, path, src, state, loose=True)

    def _paper_of(self, files: dict[str, bytes], path: str, src, state: ReadState,
                  loose: bool = False) -> Iterator[Doc | Quarantined]:
        """The paper among an archive's files (its main .tex, includes from its folder); the files
        that would be papers too (a standalone supplementary.tex) are counted as a folder counts
        them, by the same rule (latex_files.Project). An archive that is a file of its own
        (`loose`, not a bulk tar's member) and holds no paper is a paper's data when a paper is
        beside it (_Tree.beside_a_paper): counted `latex_data_archives_skipped`, not quarantined."""
        project = Project(files.get, files)          # the callers' paths are normalized
        names = sorted(n for n in files if is_tex(n))
        _count_readme(project, names, state)
        main = project.main(names)
        if main is None:
            if loose and _Tree(path, state).beside_a_paper():
                state.count("latex_data_archives_skipped")     # the paper's data, not a paper that failed
                return
            yield Quarantined("no_main_tex", f"{path}: {_no_main(files, names)}", 0, path)
            return
        if others := project.other_mains(names, main):
            state.count("latex_other_main_files_skipped", len(others))
        folder = posixpath.dirname(main)
        yield from self._paper(main, Project(lambda rel: project.data(posixpath.join(folder, rel))),
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
            if no_source := _no_source(raw):
                state.count(no_source)
                continue
            try:
                with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as inner:
                    files = {posixpath.normpath(m.name): inner.extractfile(m).read() for m in inner if m.isfile()}
            except tarfile.TarError:
                files = {"main.tex": raw} if looks_tex(raw) else {}
            yield from self._paper_of(files, paper, src, state)

    # -- one paper ------------------------------------------------------------------------------
    def _paper(self, main: str, project: Project, path: str, src, state: ReadState,
               main_rel: str | None = None) -> Iterator[Doc | Quarantined]:
        """The document of the paper whose main file is `main` (`main_rel` from the folder of
        `project`'s paths)."""
        load = project.data
        encodings: dict[str, str] = {}
        problems: list[Quarantined] = []
        missing: list[str] = []
        main_rel = main_rel or main

        declared: list[str] = []        # the main file's inputenc encoding, for files that declare none
        lossy: list[str] = []           # files read with U+FFFD for bytes their encoding lacks

        def decode(rel: str, data: bytes) -> str | None:
            text = _decode(rel, data)
            # a BOM (an editor's) would stay in the text of an included file
            return newlines(text).removeprefix("\ufeff") if text is not None else None

        def _decode(rel: str, data: bytes) -> str | None:
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
            # valid UTF-8 sequences by chance, which decode_mixed_utf8's test would take for UTF-8;
            # undeclared, only a file that is mostly UTF-8 (the Gutenberg reader's test) is.
            cjk = bool(declared) and declared[0] in _MULTIBYTE
            mixed = None if own or cjk or not may_be_utf8_with_strays(data) else decode_mixed_utf8(data)
            if mixed is not None:       # UTF-8 but for stray bytes: the rest must not become mojibake
                encodings[rel] = "utf-8+cp1252"
                return mixed[0]
            enc = own or (declared[0] if declared else None)
            if enc is None and (enc := detected_multibyte(data)) is not None:
                state.count("latex_charset_detected_files")
                declared.append(enc)        # the paper's encoding, as if declared, for the files after it
            enc = enc or self.fallback_encoding
            encodings[rel] = enc
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                lossy.append(rel)
                state.count("latex_decoded_lossy_files")
                return data.decode(enc, errors="replace")

        # Verbatim environments, the paper's own among them (defined in a style file it includes):
        # known before the first file loses its comments.
        envs = set(VERBATIM_ENVS).union(*(verbatim_definitions((load(n) or b"").decode("latin-1"))
                                          for n in project.closure(main_rel)))
        verbatim: list[str] = []
        plain = not project.carries(main_rel)       # a plain-TeX or AMS-TeX paper (latex_files.py)

        def resolve(rel: str, stack: tuple[str, ...], here: str = "") -> str:
            for name in candidates(rel, here):   # not found from the root: beside the including file
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
            text = cut_endinput(strip_comments(protect_verbatim(text, envs, verbatim)))
            if stack and plain and macro_file(text):    # harvmac.tex shipped with the paper: no text
                state.count("latex_macro_files_skipped")
                return ""
            if stack:     # an included standalone file: its body only
                b, e = BEGIN_DOC.search(text), END_DOC.search(text)
                if b:
                    text = text[b.end(): e.start() if e and e.start() > b.end() else len(text)]
            here = posixpath.dirname(name)
            text = IMPORT.sub(lambda m: resolve(posixpath.join(here if m.group(1) else "", m.group(2).strip(),
                                                               m.group(3).strip()), stack + (name,)), text)
            return INPUT.sub(lambda m: resolve((m.group(2) or m.group(3)).strip(), stack + (name,), here), text)

        text = resolve(main_rel, ())
        if not text:
            yield from problems or [Quarantined("empty_document", f"{path}: {main} is empty", 0, path)]
            return
        text = strip_false_flags(text)      # \ifdraft blocks of a flag the paper sets one way
        text = comment_environments(text)   # \excludecomment{longversion}, declared anywhere in the paper
        if self.expand_macros:
            macros, text, unsafe = simple_macros(text)
            if unsafe:
                state.count("latex_macros_not_expanded", unsafe)
            text, stopped = expand_macros(text, macros)
            if stopped:
                state.count("latex_macro_expansion_stopped")
        title = None
        b = BEGIN_DOC.search(text)
        if b:
            # LaTeX 2.09 papers set it in the body
            m = _TITLE.search(text, 0, b.start()) or _TITLE.search(text, b.end())
            title = braced(text, m.end())[0].strip() if m and braced(text, m.end()) else None
            e = END_DOC.search(text, b.end())
            text = text[b.end(): e.start() if e else len(text)]
        elif plain:      # no preamble to cut; the job ends at \bye
            m = _TITLE.search(text)
            title = braced(text, m.end())[0].strip() if m and braced(text, m.end()) else None
            if e := PLAIN_END.search(text):
                text = text[:e.start()]
        text = self._floats_and_bibliography(text, load, decode, posixpath.splitext(main_rel)[0])
        text = tidy_lines(restore_verbatim(text, verbatim))
        title = (drop_notes(restore_verbatim(title, verbatim)) or None) if title else title
        yield from problems
        if not text:
            yield Quarantined("empty_document", f"{path}: no text in the document body", 0, path)
            return
        if len(text) > src.max_doc_bytes:
            yield Quarantined("too_large", f"{path}: {len(text)} chars > max_doc_bytes", 0, path, len(text))
            return
        meta = {"main_file": main, "title": title, "missing_inputs": missing or None,
                "encodings": encodings or None, "flags": ["decoded_lossy"] if lossy else None}
        yield Doc(f"{path}#{main}" if not path.endswith(main) else path, None, text=text,
                  metadata={k: v for k, v in meta.items() if v is not None})

    def _floats_and_bibliography(self, text: str, load, decode, main_stem: str) -> str:
        if self.floats == "drop":
            text = _FLOAT_ENV.sub("", text)
        elif self.floats == "captions":
            text = _FLOAT_ENV.sub(lambda m: _captions(m.group(2)), text)
        if self.bibliography == "drop":
            return _BIB_CMDS.sub("", _THEBIB.sub("", text))

        inlined: list[str] = []

        def bbl(m: re.Match) -> str:
            if m.group(1) != "bibliography" or not m.group(2) or inlined:
                return m.group(0)
            # BibTeX writes <main>.bbl (the name arXiv's sources carry), whatever \bibliography names
            name = m.group(2).strip(" {}").split(",")[0].strip()
            for rel in (main_stem + ".bbl", name + ".bbl"):
                if (data := load(rel)) is not None:
                    inlined.append(rel)
                    return strip_comments(decode(rel, data) or "")   # BibTeX ends lines with '%'

            return m.group(0)
        return _BIB_CMDS.sub(bbl, text)


class _Folders:
    """The folders one ReadState's reading (a task's group of files) has looked at: each folder's
    Project (its files, each read once) and, for a file that may be a paper, the root, .tex files
    and main file of the paper of its folder, chosen once per folder, not once per such file (a
    project of standalone-compilable sections, docmute's, has one per section). A pure speed-up:
    all of it is what the folder's files say, so a file read alone, in another order or by another
    worker gives the same documents and counts. Kept on the ReadState, so it ends with the task's
    reading (ReadState.memo); the last MAX_CACHED_FOLDERS folders only (a listing is sorted: a project's files come
    together), as their Projects hold the files' bytes."""

    def __init__(self) -> None:
        self.projects: dict[tuple[str, str], Project] = {}
        self.papers: dict[tuple[str, str], tuple[str, list[str], Project, str | None]] = {}

    @staticmethod
    def of(state: ReadState) -> "_Folders":
        return state.memo.setdefault("latex_folders", _Folders())

    @staticmethod
    def get(cache: dict, key, make):
        return memoized(cache, key, make, MAX_CACHED_FOLDERS)


class _Tree:
    """The folders around one input file, local or through fsspec: their .tex files, their
    Projects and the paper of each (memoized on the reading's _Folders)."""

    def __init__(self, path: str, state: ReadState) -> None:
        self.seen = _Folders.of(state)
        self.scheme = path.split("://", 1)[0] if "://" in path else ""
        if "://" in path:
            fs, self.local = fsspec.core.url_to_fs(path)      # a listed file: its key may hold `*`
            self._cat, self._isfile = fs.cat_file, fs.isfile
            self._glob = lambda pattern, below: sorted(fs.glob(pattern))
        else:            # local files without fsspec's per-call overhead (a paper opens dozens)
            self.local = os.path.abspath(path)
            self._cat, self._isfile = (lambda p: Path(p).read_bytes()), os.path.isfile
            self._glob = lambda pattern, below: sorted(glob.glob(pattern, recursive=below))

    def _escaped(self, folder: str) -> str:
        return folder if self.scheme else glob.escape(folder)

    def at(self, root: str) -> Project:
        """The files from folder `root`, its 00README followed."""
        def load(rel: str) -> bytes | None:
            p = posixpath.normpath(posixpath.join(root, rel))
            if not self._isfile(p):
                return None
            with reading():
                return self._cat(p)
        readmes = lambda: [posixpath.basename(r) for r in   # noqa: E731
                           self._glob(posixpath.join(self._escaped(root), _README_GLOB), False)]
        return self.seen.get(self.seen.projects, (self.scheme, root), lambda: Project(load, readmes()))

    def tex_files(self, root: str, below: bool = False) -> list[str]:
        pattern = posixpath.join(self._escaped(root), "**" if below else "", _TEX_GLOB)
        return [posixpath.relpath(o, root) for o in self._glob(pattern, below)]

    def paper(self, folder: str) -> tuple[str, list[str], Project, str | None]:
        """The root, .tex files, Project and main file of the paper of `folder`'s .tex files. The
        choice is made where the paper's root is, among all its .tex files, as in its archive: this
        folder, or the nearest folder above it (while they hold .tex files) whose paper spans its
        subfolders (latex_files.py)."""
        def choose() -> tuple[str, list[str], Project, str | None]:
            here = self.tex_files(folder)
            root, names, chooser, up = folder, here, self.at(folder), folder
            for _ in range(MAX_ROOT_LEVELS):
                own = here if up == folder else self.tex_files(up)
                if not own:
                    break
                above = self.at(up)
                if above.spans(own):
                    root, names, chooser = up, self.tex_files(up, below=True), above
                    break
                if posixpath.dirname(up) == up:
                    break
                up = posixpath.dirname(up)
            return root, names, chooser, chooser.main(names)
        return self.seen.get(self.seen.papers, (self.scheme, folder), choose)

    def beside_a_paper(self) -> bool:
        """Whether the nearest folder holding .tex files, the input's own or one up to MAX_ROOT_LEVELS
        above it (a checkout's `data/`), has a paper."""
        up = posixpath.dirname(self.local)
        for _ in range(MAX_ROOT_LEVELS):
            if self.tex_files(up):
                return self.paper(up)[3] is not None
            if posixpath.dirname(up) == up:
                return False
            up = posixpath.dirname(up)
        return False


def _count_readme(project: Project, names: list[str], state: ReadState) -> None:
    """The paper's .tex files its 00README ignores, and a 00README that could not be parsed (not
    followed), counted once per paper."""
    if ignored := sum(project.ignored(n) for n in names):
        state.count("latex_ignored_files_skipped", ignored)
    if project.readme_problem:
        state.count("latex_unreadable_00readme")


def _after_archive(data: bytes, end: int, path: str, state: ReadState) -> Iterator[Quarantined]:
    """What follows a tar archive's end in its file: zero blocks are its padding; another archive
    (two joined with `cat`, which tar itself reads only with -i) is one item, not silently dropped;
    other bytes are counted."""
    rest = data[end:].lstrip(b"\0")
    if not rest:
        return
    at = len(data) - len(rest)
    if looks_like_tar(rest[:512]):
        yield Quarantined("joined_archive", f"{path}: another tar archive begins at byte {at:,}, after the first one's "
                          f"end (archives joined): not read; give each its own file", at, path, len(rest))
    else:
        state.count("latex_junk_after_archive")
