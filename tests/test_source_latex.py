"""LaTeX papers: main file, includes, comments/preamble removed, macros, floats/bibliography, encodings."""
import gzip
import io
import re
import tarfile

import pytest
import yaml

from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.readers.latex import strip_comments
from pipeline.recipe import SourceConfig, load_recipe


def _read(path, **opts):
    src = SourceConfig(name="papers", format="latex", paths=[str(path)], **opts)
    docs, quarantined, state = [], [], ReadState()
    for p in expand_paths(str(path)):
        for item in read_source_file(src, p, state):
            (docs if isinstance(item, Doc) else quarantined).append(item)
    return docs, quarantined, state


def _tar_gz(folder, dest, prefix=""):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for p in sorted(folder.iterdir()):
            tar.add(p, arcname=prefix + p.name)
    dest.write_bytes(buf.getvalue())
    return dest


def test_sample_paper_loses_preamble_and_comments_keeps_sections_and_equations(shared_data):
    folder = shared_data / "sources" / "papers" / "sympy-paper"
    docs, quarantined, state = _read(folder)
    assert not quarantined and len(docs) == 1       # pprint.tex, a standalone example, is not a second paper
    doc = docs[0]
    text = doc.text
    main = (folder / "paper.tex").read_text()
    assert doc.metadata["main_file"] == "paper.tex" and doc.metadata["missing_inputs"] == ["authors"]
    assert doc.metadata["title"] == "SymPy: Symbolic Computing in Python"
    for gone in (r"\documentclass", r"\usepackage", r"\begin{document}", r"\input{", "%% What sympy is"):
        assert gone not in text
    assert not re.search(r"(?<!\\)%", text)           # only escaped \% remain
    sections = re.findall(r"\\section\{([^}]*)\}", strip_comments(main.split(r"\begin{document}")[1]))
    assert re.findall(r"\\section\{([^}]*)\}", text)[:len(sections)] == sections and len(sections) >= 5
    # included files are in, equations verbatim (math stays LaTeX)
    intro = strip_comments((folder / "introduction.tex").read_text()).strip().splitlines()[0]
    assert intro in text
    gruntz = (folder / "gruntz.tex").read_text()
    eq = re.search(r"\\begin\{equation\}.*?\\end\{equation\}", gruntz, re.S).group(0)
    assert eq in text
    assert text.count(r"\begin{equation}") >= gruntz.count(r"\begin{equation}")
    assert state.counters["latex_missing_inputs"] == 1


def test_tarball_gives_the_same_document(tmp_path, shared_data):
    folder = shared_data / "sources" / "papers" / "scipy-1.0"
    direct = _read(folder)[0]
    tgz = _tar_gz(folder, tmp_path / "1907.10121.tar.gz", prefix="src/")
    packed, quarantined, _ = _read(tgz)
    assert not quarantined and len(direct) == len(packed) == 1
    assert packed[0].text == direct[0].text and packed[0].metadata["main_file"] == "src/paper.tex"
    assert r"\section*{Introduction}" in packed[0].text and r"\bibliography{" not in packed[0].text
    (tmp_path / "broken.tar.gz").write_bytes(tgz.read_bytes()[:300])
    assert [q.reason for q in _read(tmp_path / "broken.tar.gz")[1]] == ["corrupt_archive"]
    # arXiv's form of a one-file paper: the .tex alone, gzipped
    (tmp_path / "single.gz").write_bytes(gzip.compress(b"\\documentclass{article}\n\\usepackage{x}\n"
                                                       b"\\begin{document}\nOne file, $e^{i\\pi}=-1$.\n\\end{document}\n"))
    docs, quarantined, _ = _read(tmp_path / "single.gz")
    assert not quarantined and docs[0].text == "One file, $e^{i\\pi}=-1$."
    (tmp_path / "figure.eps.gz").write_bytes(gzip.compress(b"%!PS-Adobe-3.0 EPSF-3.0\n"))
    docs, quarantined, state = _read(tmp_path / "figure.eps.gz")
    assert not docs and not quarantined and state.counters == {"latex_other_files_skipped": 1}


def test_arxiv_bulk_source_tar_gives_one_document_per_paper(tmp_path, shared_data):
    """arXiv's bulk tars (arXiv_src_YYMM_NNN.tar): a member per paper, a gzipped tarball or a gzipped
    single .tex, a PDF where no source was submitted. Read as one paper they gave nothing (no .tex
    member: no_main_tex); now each paper is a document equal to reading it alone, the PDF is
    counted and a damaged member costs only its paper."""
    papers = shared_data / "sources" / "papers"
    single = (b"\\documentclass{article}\n\\begin{document}\nOne file, $e^{i\\pi}=-1$.\n\\end{document}\n")
    members = {"2301/2301.00001.gz": _tar_gz(papers / "scipy-1.0", tmp_path / "a.tar.gz").read_bytes(),
               "2301/2301.00002.gz": gzip.compress(single),
               "2301/2301.00003.pdf": b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
               "2301/2301.00004.gz": _tar_gz(papers / "scipy-1.0", tmp_path / "b.tar.gz").read_bytes()[:400],
               "2301/2301.00005.gz": _tar_gz(papers / "sympy-paper", tmp_path / "c.tar.gz").read_bytes()}
    bulk = tmp_path / "arXiv_src_2301_001.tar"
    with tarfile.open(bulk, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    docs, quarantined, state = _read(bulk)
    assert [d.id.split("#")[1] for d in docs] == ["2301/2301.00001", "2301/2301.00002", "2301/2301.00005"]
    assert docs[0].text == _read(papers / "scipy-1.0")[0][0].text
    assert docs[2].text == _read(papers / "sympy-paper")[0][0].text
    assert docs[1].text == "One file, $e^{i\\pi}=-1$."
    assert [(q.reason, q.id.split("#")[1]) for q in quarantined] == [("corrupt_archive", "2301/2301.00004")]
    assert state.counters["latex_pdf_only_skipped"] == 1


def _paper(tmp_path, body, extra=None, enc="utf-8"):
    d = tmp_path / "paper"
    d.mkdir(exist_ok=True)
    (d / "main.tex").write_bytes((
        "\\documentclass{article}\n\\usepackage{amsmath}\n"
        "\\newcommand{\\R}{\\mathbb{R}}\n\\newcommand\\sys{TokenMill}\n\\def\\ver{2.0}\n"
        "\\newcommand{\\vect}[1]{\\mathbf{#1}}\n\\def\\pair#1#2{(#1, #2)}\n"
        "\\newcommand{\\opt}[2][x]{#1+#2}\n\\renewcommand{\\section}[1]{\\textbf{#1}}\n"
        "\\def\\subsection#1{#1}\n\\title{On \\sys}\n"
        "\\begin{document}\n" + body + "\n\\end{document}\n").encode(enc))
    for name, data in (extra or {}).items():
        (d / name).write_bytes(data)
    return d


def test_macros_floats_bibliography_and_cycles(tmp_path):
    body = ("\\begin{comment}\nAn old draft paragraph.\n\\end{comment}\n"
            "\\section{Intro} % a comment\n\\sys{} \\ver{} works on $x \\in \\R^n$ and "
            "$\\vect{v}$, $\\pair{a}{\\vect{b}}$, $\\opt{y}$; 50\\% faster.\n"
            "\\input{a}\n"
            "\\begin{figure}[t]\\centering\\includegraphics{f.png}\\caption{Speed of \\sys.}\\end{figure}\n"
            "\\begin{table}\\begin{tabular}{c}1\\\\\\end{tabular}\\end{table}\n"
            "\\bibliographystyle{plain}\n\\bibliography{refs}\n")
    d = _paper(tmp_path, body, {"a.tex": b"\\subsection{A}\nText of a.\n\\input{b}\n",
                                "b.tex": b"Text of b.\n\\input{a}\n",
                                "refs.bbl": b"\\begin{thebibliography}{1}\\bibitem{x} X.\\end{thebibliography}"})
    docs, quarantined, state = _read(d)
    text = docs[0].text
    assert not quarantined and state.counters["latex_include_cycles"] == 1
    assert text.startswith("\\section{Intro}\nTokenMill{} 2.0{} works on $x \\in \\mathbb{R}^n$")
    assert "$\\mathbf{v}$, $(a, \\mathbf{b})$, $\\opt{y}$" in text       # \\opt has an optional argument: kept
    assert "50\\% faster" in text and "a comment" not in text and "draft" not in text
    assert "\\subsection{A}\nText of a." in text and "Text of b." in text   # \\section, \\subsection redefined: kept
    assert "Speed of TokenMill." in text and "includegraphics" not in text and "tabular" not in text
    assert "bibliography" not in text and docs[0].metadata["title"] == "On TokenMill"
    kept = _read(d, floats="keep", bibliography="keep", expand_macros=False)[0][0].text
    assert "\\includegraphics{f.png}" in kept and "\\bibitem{x} X." in kept and "\\sys{}" in kept
    assert "\\bibliographystyle{plain}" in kept
    dropped = _read(d, floats="drop")[0][0].text
    assert "Speed of" not in dropped


def test_non_utf8_decoded_with_fallback_binary_quarantined(tmp_path):
    d = _paper(tmp_path, "\\section{R\u00e9sum\u00e9}\nCaf\u00e9 na\u00efve d\u00e9j\u00e0 vu, tr\u00e8s \u00e9l\u00e9gant.\n"
                         "\\input{sec}\n\\input{blob}\n", enc="latin-1",
               extra={"sec.tex": "Stra\u00dfe und Gr\u00fc\u00dfe aus M\u00fcnchen, sch\u00f6ne Gr\u00fc\u00dfe.\n".encode("cp1252"),
                      "blob.tex": b"\x00\x01\x02\xff\xfe" * 50})
    docs, quarantined, state = _read(d)
    assert [q.reason for q in quarantined] == ["bad_encoding"] and quarantined[0].id.endswith("#blob.tex")
    text = docs[0].text
    assert "\\section{R\u00e9sum\u00e9}" in text and "d\u00e9j\u00e0 vu" in text and "M\u00fcnchen" in text
    assert docs[0].metadata["encodings"] == {"main.tex": "cp1252", "sec.tex": "cp1252"}
    assert state.counters["latex_non_utf8_files"] == 2
    # a declared inputenc wins over the fallback, and is used for included files that declare none
    main = (d / "main.tex").read_bytes().replace(b"\\usepackage{amsmath}", b"\\usepackage[latin9]{inputenc}")
    (d / "main.tex").write_bytes(main.replace(b"vu,", "vu \u20ac,".encode("iso8859-15")))
    docs, _, _ = _read(d)
    assert docs[0].metadata["encodings"] == {"main.tex": "iso8859-15", "sec.tex": "iso8859-15"}
    assert "d\u00e9j\u00e0 vu \u20ac," in docs[0].text
    assert "fallback_encoding" in str(pytest.raises(Exception, SourceConfig, name="p", format="latex", paths=["x"],
                                                    fallback_encoding="klingon").value)
    # a binary main file: no document, quarantined with its reason
    (d / "main.tex").write_bytes(b"\\documentclass{article}\\begin{document}\x00\x00\xff" * 10)
    docs, quarantined, _ = _read(d)
    assert not docs and [q.reason for q in quarantined] == ["bad_encoding"]


def test_runner_end_to_end(tmp_path, shared_data, ray_local):
    from pipeline.runner import Runner
    papers = shared_data / "sources" / "papers"
    tgz = _tar_gz(papers / "scipy-1.0", tmp_path / "scipy.tar.gz")
    (tmp_path / "junk.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    recipe = {"name": "papers", "output": str(tmp_path / "run"),
              "sources": [{"name": "papers", "format": "latex",
                           "paths": [str(papers / "sympy-paper"), str(tgz), str(tmp_path / "junk.tar.gz")]}],
              "stages": [{"stage": "exact_dedup"}]}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(recipe))
    stats = Runner(load_recipe(tmp_path / "r.yaml"), quiet=True).run()
    ingest = stats["stages"][0]
    assert ingest["docs_out"] == 2 and ingest["quarantined"] == {"ingest/corrupt_archive": 1}
    assert ingest["counters"]["latex_included_files_skipped"] >= 20


def test_iffalse_blocks_import_subimport_and_subfiles(tmp_path):
    """What arXiv sources use beside \\input: draft text hidden in \\iffalse ... \\fi (dropped, nested
    conditionals counted), the import package (\\import from the root, \\subimport from the
    including file, whose own \\input then reads beside it) and subfiles (\\subfile; the subfile's
    own \\documentclass{subfiles} makes no second paper)."""
    paper = tmp_path / "paper"
    (paper / "sections").mkdir(parents=True)
    (paper / "appendix").mkdir()
    (paper / "main.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\nKept before.\n"
        "\\iffalse\nHIDDEN draft \\ifx\\a\\b nested \\fi still hidden.\n\\fi\n"
        "Kept after.\n\\import{sections/}{intro}\n\\subfile{appendix/extra}\n\\end{document}\n")
    (paper / "sections" / "intro.tex").write_text("Intro text.\n\\subimport{./}{detail}\n")
    (paper / "sections" / "detail.tex").write_text("Detail text.\n\\input{note}\n")
    (paper / "sections" / "note.tex").write_text("Note beside it.\n")
    (paper / "appendix" / "extra.tex").write_text(
        "\\documentclass[../main.tex]{subfiles}\n\\begin{document}\nAppendix text.\n\\end{document}\n")
    docs, quarantined, state = _read(paper)
    assert not quarantined and len(docs) == 1
    assert docs[0].text == "Kept before.\n\nKept after.\nIntro text.\nDetail text.\nNote beside it.\n\nAppendix text."
    assert "latex_missing_inputs" not in state.counters


def test_the_main_file_is_the_one_that_includes_the_paper_not_the_largest():
    """arXiv sources often hold standalone documents beside the paper (a TikZ figure, a test
    page), each with \\documentclass and \\begin{document}; one may be larger than the main file."""
    from pipeline.readers.latex import choose_main
    figure = (b"\\documentclass{standalone}\n\\begin{document}\n" + b"\\draw (0,0) -- (1,1);\n" * 500
              + b"\\end{document}\n")
    main = b"\\documentclass{article}\n\\begin{document}\n\\input{intro}\n\\include{sections/method}\n\\end{document}\n"
    files = {"figure.tex": figure, "paper.tex": main, "intro.tex": b"Intro.", "sections/method.tex": b"Method."}
    assert len(figure) > len(main) and choose_main(files) == "paper.tex"
    # with no includes on either side, the larger still wins, and a file another includes never does
    alone = main.replace(b"\\input{intro}\n\\include{sections/method}\n", b"")
    large = figure.replace(b"{standalone}", b"{article}")
    assert choose_main({"a.tex": large, "b.tex": alone}) == "a.tex"
    # a standalone figure or a subfile is a part of a paper, never the paper, whatever its size
    assert choose_main({"a.tex": figure, "b.tex": alone}) == "b.tex"
    assert choose_main({"a.tex": figure.replace(b"{standalone}", b"[../main.tex]{subfiles}")}) is None
    assert choose_main({"paper.tex": main, "intro.tex": figure}) == "paper.tex"


@pytest.mark.parametrize("env, codec", [("GBK", "gbk"), ("Bg5", "big5")])
def test_chinese_papers_of_the_cjk_package_era(tmp_path, env, codec):
    """Before UTF-8, Chinese papers named their encoding in the CJK package's environment, not in
    inputenc: the main file and the sections it includes (which declare nothing) read in it."""
    paper = tmp_path / "paper"
    paper.mkdir()
    intro = "\\section{引言}\n本文提出一種新的方法。\n" if codec == "big5" else "\\section{引言}\n本文提出一种新的方法。\n"
    (paper / "main.tex").write_bytes(
        f"\\documentclass{{article}}\n\\usepackage{{CJK}}\n\\begin{{document}}\n\\begin{{CJK*}}{{{env}}}{{song}}\n"
        "\\input{intro}\n\\end{CJK*}\n\\end{document}\n".encode(codec))
    (paper / "intro.tex").write_bytes(intro.encode(codec))
    docs, quarantined, _ = _read(paper)
    assert not quarantined and intro.strip() in docs[0].text
    assert set(docs[0].metadata["encodings"].values()) == {"gb18030" if codec == "gbk" else "big5hkscs"}


def _project(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode() if isinstance(text, str) else text)
    return root


def test_documentclass_in_an_input_preamble_still_makes_the_paper(tmp_path):
    """Thesis templates keep `\\documentclass` in a preamble file the main file \\input's
    (teddy92/bachelorthesis: `\\input{style}`; dickerpulli/diplomarbeit-vorlage-latex:
    `\\input{extras/header}`). Every file, the main one too, was counted as an included file: the
    95 KB of chapters gave no document and no quarantine item. (Own text in their shape.)"""
    thesis = _project(tmp_path / "thesis", {
        "Thesis.tex": "\\input{style}\n\\newcommand{\\quotes}[1]{``#1''}\n\\input{glossaries}\n\n"
                      "\\begin{document}\n\\frontmatter\n\\input{titel}\n\\mainmatter\n"
                      "\\input{chapter/einleitung}\n\\end{document}\n",
        "style.tex": "%%% Dokumentklasse\n\\documentclass[12pt,twoside]{book}\n\\usepackage{graphicx}\n"
                     "\\input{settings.tex}\n",
        "settings.tex": "\\newcommand{\\inputthesen}{}\n",
        "glossaries.tex": "\\newglossaryentry{svm}{name=SVM, description={Support Vector Machine}}\n",
        "titel.tex": "{\\Large Bachelorarbeit}\n",
        "chapter/einleitung.tex": "\\chapter{Einleitung}\nDiese Arbeit untersucht \\quotes{Merkmale} von Bildern.\n"})
    docs, quarantined, state = _read(thesis)
    assert not quarantined and [d.metadata["main_file"] for d in docs] == ["Thesis.tex"]
    assert docs[0].text == ("\\frontmatter\n{\\Large Bachelorarbeit}\n\n\\mainmatter\n\\chapter{Einleitung}\n"
                            "Diese Arbeit untersucht ``Merkmale'' von Bildern.")
    assert state.counters["latex_included_files_skipped"] == 5
    # moving the \documentclass line into the main file changes nothing
    moved = _project(tmp_path / "moved", {p.relative_to(thesis).as_posix(): p.read_bytes()
                                          for p in thesis.rglob("*.tex")})
    (moved / "Thesis.tex").write_text("\\documentclass[12pt,twoside]{book}\n" + (thesis / "Thesis.tex").read_text())
    (moved / "style.tex").write_text((thesis / "style.tex").read_text().replace("\\documentclass", "%\\documentclass"))
    assert _read(moved)[0][0].text == docs[0].text
    # and the archive form
    packed, quarantined, _ = _read(_tar_gz(thesis, tmp_path / "thesis.tar.gz"))
    assert not quarantined and packed[0].text == docs[0].text


def test_a_wrapper_that_includes_main_does_not_make_the_cover_the_paper(tmp_path):
    """The HoTT book (HoTT/book): `hott-ebook.tex`, `hott-letter.tex`, ... set options and
    `\\input{main}`; main.tex has the \\documentclass. main.tex was "included by another file",
    so the cover page (a small document of its own) became the only document. A wrapper is no
    paper, and an inclusion by a wrapper does not hide the paper: one document, from main.tex."""
    book = _project(tmp_path / "book", {
        # HoTT/book, hott-ebook.tex (CC BY-SA 3.0), shortened
        "hott-ebook.tex": "% This is a main LaTeX file for generating the HoTT book\n% **** OPTIONS ****\n"
                          "\\input{opt-cover}\n\\input{opt-ebook}\n\\def\\OPThalftorus{torus-lores-bw}\n"
                          "% INCLUDE THE ACTUAL MAIN FILE\n\\input{main}\n",
        "hott-letter.tex": "\\input{opt-cover}\n\\input{opt-letter}\n\\input{main}\n",
        "opt-cover.tex": "\\newif\\ifOPTcover\\OPTcovertrue\n",
        "opt-ebook.tex": "\\def\\OPTpagesize{4.5in,6.5in}\n",
        "opt-letter.tex": "\\def\\OPTpagesize{8.5in,11in}\n",
        "main.tex": "\\documentclass{book}\n\\input{macros}\n\\begin{document}\n\\include{introduction}\n"
                    "\\include{basics}\n\\end{document}\n",
        "macros.tex": "\\newcommand{\\UU}{\\mathcal{U}}\n",
        "introduction.tex": "\\chapter*{Introduction}\nHomotopy type theory is a new branch of mathematics.\n",
        "basics.tex": "\\chapter{Type theory}\nA universe $\\UU$ is a type whose elements are types.\n",
        "cover-lulu-hardcover.tex": "\\documentclass{article}\n\\begin{document}\n"
                                    + "Homotopy Type Theory: Univalent Foundations of Mathematics\n" * 20
                                    + "\\end{document}\n"})
    docs, quarantined, state = _read(book)
    assert not quarantined and [d.metadata["main_file"] for d in docs] == ["main.tex"]
    assert docs[0].text.startswith("\\chapter*{Introduction}") and "$\\mathcal{U}$" in docs[0].text
    assert state.counters["latex_wrapper_files_skipped"] == 2
    assert state.counters["latex_other_main_files_skipped"] == 1
    packed, quarantined, _ = _read(_tar_gz(book, tmp_path / "book.tar.gz"))
    assert not quarantined and packed[0].text == docs[0].text
    # a folder of papers, one per subfolder, still gives one document each
    doc = "\\documentclass{article}\n\\begin{document}\n%s\n\\end{document}\n"
    _project(tmp_path / "papers", {"a/paper.tex": doc % "Paper A.", "b/build.tex": "\\def\\draft{1}\n\\input{paper}\n",
                                   "b/paper.tex": doc % "\\input{b1}", "b/b1.tex": "Paper B.\n"})
    docs, quarantined, state = _read(tmp_path / "papers")
    assert not quarantined and [(d.id.split("/papers/")[1], d.text) for d in docs] == \
        [("a/paper.tex", "Paper A."), ("b/paper.tex", "Paper B.")]
    assert state.counters == {"latex_wrapper_files_skipped": 1, "latex_included_files_skipped": 1}


# HoTT/book, macros.tex (CC BY-SA 3.0): one-argument macros that peek at what follows with
# \@ifnextchar and call each other.
HOTT_PRD = r"""\makeatletter
\def\prd#1{\@ifnextchar\bgroup{\prd@parens{#1}}{%
    \@ifnextchar\sm{\prd@parens{#1}\@eatsm}{%
      \prd@noparens{#1}}}}
\def\prd@parens#1{\@ifnextchar\bgroup%
  {\mathchoice{\@dprd{#1}}{\@tprd{#1}}{\@tprd{#1}}{\@tprd{#1}}\prd@parens}%
  {\@ifnextchar\sm%
    {\mathchoice{\@dprd{#1}}{\@tprd{#1}}{\@tprd{#1}}{\@tprd{#1}}\@eatsm}%
    {\mathchoice{\@dprd{#1}}{\@tprd{#1}}{\@tprd{#1}}{\@tprd{#1}}}}}
\def\@eatsm\sm{\sm@parens}
\def\prd@noparens#1{\mathchoice{\@dprd@noparens{#1}}{\@tprd{#1}}{\@tprd{#1}}{\@tprd{#1}}}
\def\@tprd#1{\mathchoice{{\textstyle\prod_{(#1)}}}{\prod_{(#1)}}{\prod_{(#1)}}{\prod_{(#1)}}}
\def\@dprd#1{\prod_{(#1)}\,}
\def\@dprd@noparens#1{\prod_{#1}\,}
\def\sm#1{\@ifnextchar\bgroup{\sm@parens{#1}}{%
    \@ifnextchar\prd{\sm@parens{#1}\@eatprd}{%
        \sm@noparens{#1}}}}
\makeatother
"""


def test_package_code_macros_are_not_expanded_and_growth_is_bounded(tmp_path):
    """The HoTT book was quarantined as too_large at 15 MB (1.4 MB unexpanded): \\prd and \\sm,
    built on \\@ifnextchar and calling each other, were copied into every use three passes deep.
    Macros using @-internals or referring to themselves (directly or through others) are left as
    written, and a pass that grows the text past a factor is undone; both counted."""
    body = "".join(f"Lemma {i}: $\\prd{{x:A}}\\prd{{y:B}} \\sm{{p:x=y}} P(p)$ in $\\UU$.\n" for i in range(200))
    d = _project(tmp_path / "hott", {
        "main.tex": "\\documentclass{book}\n\\input{macros}\n\\begin{document}\n" + body + "\\end{document}\n",
        "macros.tex": HOTT_PRD + "\\newcommand{\\UU}{\\mathcal{U}}\n\\def\\loopy{\\loopy!}\n"
                                 "\\def\\ping#1{\\pong{#1}}\n\\def\\pong#1{\\ping{#1}}\n"})
    docs, quarantined, state = _read(d)
    text = docs[0].text
    assert not quarantined and "@" not in text and len(text) < 1.2 * len(body)
    assert text.splitlines()[0] == "Lemma 0: $\\prd{x:A}\\prd{y:B} \\sm{p:x=y} P(p)$ in $\\mathcal{U}$."
    assert state.counters["latex_macros_not_expanded"] == 10     # 7 naming or using @-internals, \loopy, \ping, \pong
    # not package code, but each use becomes 64 copies of a long body: expansion stops, counted
    bomb = _project(tmp_path / "bomb", {"main.tex": (
        "\\documentclass{article}\n\\def\\c{long text of a note}\n\\def\\b{\\c\\c\\c\\c}\n\\def\\a{\\b\\b\\b\\b}\n"
        "\\begin{document}\n" + "Word \\a{} and \\c.\n" * 50 + "\\end{document}\n")})
    docs, quarantined, state = _read(bomb)
    assert state.counters["latex_macro_expansion_stopped"] == 1 and "Word \\a{} and \\c." in docs[0].text


def test_percent_signs_in_verbatim_and_code_environments_are_kept(tmp_path):
    """soulmachine/leetcode's `Code` environment (fancyvrb's \\DefineVerbatimEnvironment, in a
    style file the main file \\input's) lost 17 of its 18 `%` with the rest of each line:
    `r = r * 10 + t % 10;` became `r = r * 10 + t`. Verbatim text is kept as written: no comment
    stripping, no includes, no macros inside; a commented-out \\begin{verbatim} protects nothing.
    (Own code lines in the shape of the book's.)"""
    d = _project(tmp_path / "book", {
        "book.tex": "\\documentclass{book}\n\\input{format.cls}\n\\newcommand{\\N}{\\mathbb{N}}\n"
                    "\\begin{document}\n\\input{chap}\n\\end{document}\n",
        "format.cls": "\\usepackage{fancyvrb}\n\\DefineVerbatimEnvironment%\n  {Code}{Verbatim}\n  {fontsize=\\small}\n"
                      "\\lstnewenvironment{Java}{\\lstset{language=Java}}{}\n\\newminted{cpp}{}\n"
                      "\\newminted[pycode]{python}{}\n",
        "chap.tex": "Reverse digits in $\\N$. % the old way\n"
                    "\\begin{Code}\nint reverse(int x) {\n    r = r * 10 + t % 10;  // last digit\n"
                    "    t /= 10; \\input{nothing} \\N\n}\n\\end{Code}\n"
                    "\\begin{Java}\nreturn n % 2 == 0;\n\\end{Java}\n"
                    "\\begin{cppcode}\nprintf(\"%d\\n\", x);\n\\end{cppcode}\n"
                    "\\begin{pycode}\nprint('%s' % x)\n\\end{pycode}\n"
                    "\\begin{lstlisting}\nx = y % 3\n\\end{lstlisting}\n"
                    "\\begin{verbatim}\n100% sure\n\\end{verbatim}\n"
                    "\\begin{minted}{c}\nk %= 7;\n\\end{minted}\n"
                    "Inline \\verb|a % b| and \\lstinline{c % d} and \\verb+50%+ stay.\n"
                    "% \\begin{verbatim} in a comment\nVisible line.\n% \\end{verbatim}\n"})
    docs, quarantined, state = _read(d)
    text = docs[0].text
    assert not quarantined and "the old way" not in text and "in a comment" not in text
    for line in ("    r = r * 10 + t % 10;  // last digit", "    t /= 10; \\input{nothing} \\N", "return n % 2 == 0;",
                 "printf(\"%d\\n\", x);", "print('%s' % x)", "x = y % 3", "100% sure", "k %= 7;",
                 "Inline \\verb|a % b| and \\lstinline{c % d} and \\verb+50%+ stay.", "Visible line."):
        assert line in text.splitlines(), line
    assert text.startswith("Reverse digits in $\\mathbb{N}$.") and "latex_missing_inputs" not in state.counters


def test_bibliography_keep_inlines_the_bbl_named_after_the_main_file(tmp_path):
    """BibTeX writes `<main>.bbl` whatever `\\bibliography{refs}` names, and arXiv's sources carry
    that file (3HeNSF_2DPSD_paper, DgJ_MEIC_paper: main.bbl beside \\bibliography{references}):
    `bibliography: keep` never inlined it. `<main>.bbl` first, then `<bibname>.bbl`; BibTeX's
    `%` line ends are comments."""
    d = _project(tmp_path / "paper", {
        "main.tex": "\\documentclass{article}\n\\begin{document}\nAs shown~\\cite{a}.\n"
                    "\\bibliographystyle{plain}\n\\bibliography{references,more}\n\\end{document}\n",
        "main.bbl": "\\begin{thebibliography}{1}\n\\bibitem{a}\nA.~Author.\n\\newblock A title.\n"
                    "\\newblock {\\em J.},\n  2020.%\n\\end{thebibliography}\n",
        "references.bib": "@article{a, title={A title}}\n"})
    text = _read(d, bibliography="keep")[0][0].text
    assert "\\bibitem{a}\nA.~Author." in text and "2020.\n" in text and "\\bibliography{" not in text
    (d / "main.bbl").rename(d / "references.bbl")
    assert "\\bibitem{a}" in _read(d, bibliography="keep")[0][0].text
    assert "\\bibitem{a}" not in _read(d)[0][0].text


_PROSE = ("We study the spectrum of the theory on a circle and find that the partition function is "
          "invariant under the duality group, as the string picture predicts.\n")


def test_latex209_and_plain_tex_papers_are_read_and_other_tex_is_quarantined(tmp_path):
    """arXiv's 1990s papers: LaTeX 2.09 (`\\documentstyle`), plain TeX (harvmac, `\\magnification`,
    ending with `\\bye`/`\\end`) and AMS-TeX (`\\enddocument`), served as one gzipped file. They
    gave no document and no quarantine item (counted as other files, like figure.eps.gz), and a
    bulk tar's member was `no_main_tex`."""
    old = ("\\documentstyle[12pt]{article}\n\\begin{document}\n\\title{An Old Paper}\n\\maketitle\n"
           "\\section{Introduction}\n" + _PROSE + "\\end{document}\n")
    harvmac = ("\\input harvmac\n\\Title{hep-th/9502001}{Dualities}\n\\newsec{Introduction}\n" + _PROSE
               + "\\listrefs\n\\bye\n% after the end\n")
    magnification = ("\\magnification=1200\n\\centerline{\\bf Dualities}\n\\bigskip\n" + _PROSE
                     + "\\vfill\\eject\n\\end\n")
    amstex = ("\\input amstex\n\\documentstyle{amsppt}\n\\topmatter\n\\title Dualities\\endtitle\n\\endtopmatter\n"
              "\\document\n" + _PROSE + "\\enddocument\n")
    fragment = "\\section{Results}\n\\label{sec:r}\n" + _PROSE + "See \\cite{x}.\n"    # no paper: no end
    for name, tex in (("old", old), ("harvmac", harvmac), ("mag", magnification), ("ams", amstex),
                      ("fragment", fragment)):
        (tmp_path / f"hep-th95{name}.gz").write_bytes(gzip.compress(tex.encode()))
    docs, quarantined, state = _read(tmp_path / "hep-th95old.gz")
    assert not quarantined and docs[0].metadata["title"] == "An Old Paper"
    assert docs[0].text.startswith("\\title{An Old Paper}") and docs[0].text.endswith("predicts.")
    for name in ("harvmac", "mag", "ams"):
        docs, quarantined, state = _read(tmp_path / f"hep-th95{name}.gz")
        assert not quarantined and len(docs) == 1, name
        assert docs[0].text.endswith("\\listrefs" if name == "harvmac" else "predicts." if name == "ams"
                                     else "predicts.\n\\vfill\\eject"), docs[0].text
        assert _PROSE.strip() in docs[0].text and "\\bye" not in docs[0].text and "after the end" not in docs[0].text
    docs, quarantined, state = _read(tmp_path / "hep-th95fragment.gz")
    assert not docs and [q.reason for q in quarantined] == ["no_main_tex"] and "\\bye" in quarantined[0].detail
    assert "latex_other_files_skipped" not in state.counters
    # a plain-TeX paper's tarball that ships its macro package: the package is no text
    macros = "".join(f"\\def\\m{c}{{\\bf {c}}}\n" for c in "abcdefghij") + "\\catcode`\\@=11\n\\endinput\n"
    (tmp_path / "src").mkdir()
    _project(tmp_path / "src", {"paper.tex": harvmac, "harvmac.tex": macros})
    docs, quarantined, state = _read(_tar_gz(tmp_path / "src", tmp_path / "hep-th9502001.tar.gz"))
    assert not quarantined and docs[0].metadata["main_file"] == "paper.tex" and "\\def" not in docs[0].text
    assert state.counters["latex_macro_files_skipped"] == 1
    docs, quarantined, _ = _read(tmp_path / "src" / "paper.tex")        # the folder: the same paper
    assert not quarantined and len(docs) == 1 and _PROSE.strip() in docs[0].text
    # in arXiv's bulk tars too
    bulk = tmp_path / "arXiv_src_9501_001.tar"
    with tarfile.open(bulk, "w") as tar:
        for name in ("old", "harvmac", "fragment"):
            data = (tmp_path / f"hep-th95{name}.gz").read_bytes()
            info = tarfile.TarInfo(f"9501/{name}.gz")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    docs, quarantined, _ = _read(bulk)
    assert [d.id.split("#")[1] for d in docs] == ["9501/old", "9501/harvmac"]
    assert [(q.reason, q.id.split("#")[1]) for q in quarantined] == [("no_main_tex", "9501/fragment")]


def test_windows_and_old_mac_line_ends_become_newlines(tmp_path):
    """A file written with CRLF kept its `\\r` in the text; a lone-CR file was one line, whose
    first `%` comment removed all the rest."""
    paper = _project(tmp_path / "p", {
        "main.tex": "\\documentclass{article}\r\n\\begin{document}\r\nLine one.\r\nLine two. % note\r\n"
                    "\\input{sec}\r\n\\input{mac}\r\n\\end{document}\r\n",
        "sec.tex": "Section line.\r\n\r\nNext paragraph.\r\n",
        "mac.tex": "Old Mac line. % a comment\rStill here.\r"})
    docs, quarantined, _ = _read(paper)
    assert not quarantined
    assert docs[0].text == "Line one.\nLine two.\nSection line.\n\nNext paragraph.\n\nOld Mac line.\nStill here."


def test_endinput_ends_a_file_and_extensions_match_in_any_case(tmp_path):
    """TeX stops reading a file at `\\endinput` (the rest of that line is still read); the text
    after it was kept. A load guard `\\else\\endinput\\fi` inside a line ends nothing. A main file
    `Main.TEX` (and its `\\input{sec/one}` as `sec/one.TEX`) was `no_main_tex`."""
    files = {"src/Main.TEX": "\\documentclass{article}\n\\begin{document}\n\\input{sec/one}\n\\input{guard}\n"
                             "Main body.\n\\end{document}\n",
             "src/sec/one.TEX": "Section one.\n\\endinput Same line.\nNever read by TeX.\n",
             "src/guard.tex": "\\ifx\\a\\undefined\\else\\endinput\\fi\nGuarded text.\n   \\endinput\nDropped.\n"}
    root = _project(tmp_path / "p", files)
    packed = _tar_gz(root, tmp_path / "p.tar.gz")
    for path in (packed, root / "src"):
        docs, quarantined, _ = _read(path)
        assert not quarantined and len(docs) == 1 and docs[0].metadata["main_file"].endswith("Main.TEX")
        assert docs[0].text == ("Section one.\nSame line.\n\\ifx\\a\\undefined\\else\\endinput\\fi\n"
                                "Guarded text.\n\nMain body.")
    _project(tmp_path / "q", {"main.tex": "\\documentclass{article}\n\\begin{document}\nKept.\n\\end{document}\n"
                                          "\\endinput\nNotes after the paper.\n"})
    assert _read(tmp_path / "q")[0][0].text == "Kept."


def test_overleaf_zip_is_read_like_a_tarball(tmp_path):
    """Overleaf downloads a project as a .zip: it was counted as an other file, silently."""
    import zipfile
    files = {"main.tex": "\\documentclass{article}\n\\title{Zipped}\n\\begin{document}\n\\input{sections/intro}\n"
                         "Body.\n\\end{document}\n",
             "sections/intro.tex": "\\section{Intro}\nIntro text.\n", "figs/plot.png": b"\x89PNG\r\n\x1a\n\0\0"}
    root = _project(tmp_path / "p", files)
    with zipfile.ZipFile(tmp_path / "project.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("sections/", "")
        for name in files:
            z.write(root / name, name)
    docs, quarantined, state = _read(tmp_path / "project.zip")
    assert not quarantined and len(docs) == 1 and docs[0].text == _read(root)[0][0].text
    assert docs[0].text == "\\section{Intro}\nIntro text.\n\nBody." and docs[0].metadata["title"] == "Zipped"
    (tmp_path / "broken.zip").write_bytes((tmp_path / "project.zip").read_bytes()[:60])
    docs, quarantined, _ = _read(tmp_path / "broken.zip")
    assert not docs and [q.reason for q in quarantined] == ["corrupt_archive"]


def test_macro_arguments_and_expansions_are_not_pasted_onto_control_words(tmp_path):
    """`\\newcommand{\\norm}[1]{\\lVert#1\\rVert}` made `$\\norm{v}$` into `$\\lVertv\\rVert$`, an
    undefined control word (as `\\def\\x#1{\\alpha#1}` made `\\x{b}` `\\alphab`): TeX reads `\\lVert`,
    then `v`. A letter put after a control word, from an argument or after an expansion, gets a
    space (skipped by TeX there); nothing else changes."""
    preamble = ("\\documentclass{article}\n\\newcommand{\\norm}[1]{\\lVert#1\\rVert}\n\\def\\x#1{\\alpha#1}\n"
                "\\newcommand{\\al}{\\alpha}\n\\newcommand{\\tr}[1]{#1^\\top}\n\\newcommand{\\pp}[2]{#1#2}\n"
                "\\newcommand{\\fr}[2]{\\frac{#1}{#2}}\n\\newcommand{\\thin}[1]{#1\\,}\n"
                "\\newcommand{\\rmd}[1]{\\mathrm{#1}}\n\\newcommand{\\sys}{TokenMill}\n\\newcommand{\\gone}[1]{}\n"
                "\\newcommand{\\nal}[1]{\\al#1}\n")
    body = ("$\\norm{v}$, $\\x{b}$, $\\norm{\\beta}$, $\\norm{2}$, $\\norm{}$.\n"
            "$\\al x$, $\\al{}x$, $\\tr{A}x$, $\\pp{\\al}{y}$, $\\alpha\\gone{z}w$, $\\nal{q}$.\n"
            "$\\fr{a}{b}$, $\\thin{x}y$, $\\rmd{d}x$, \\noindent\\sys{} and \\sys is, \\\\\\al.\n")
    d = _project(tmp_path / "p", {"main.tex": preamble + "\\begin{document}\n" + body + "\\end{document}\n"})
    docs, quarantined, _ = _read(d)
    assert not quarantined
    assert docs[0].text.splitlines() == [
        "$\\lVert v\\rVert$, $\\alpha b$, $\\lVert\\beta\\rVert$, $\\lVert2\\rVert$, $\\lVert\\rVert$.",
        "$\\alpha x$, $\\alpha{}x$, $A^\\top x$, $\\alpha y$, $\\alpha w$, $\\alpha q$.",
        "$\\frac{a}{b}$, $x\\,y$, $\\mathrm{d}x$, \\noindent TokenMill{} and TokenMill is, \\\\\\alpha."]


def _eprint_dir(tmp_path):
    """A directory of arXiv e-prints as /e-print/<id> downloads them: named by id, no extension."""
    def tar(files, mode):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode=mode) as t:
            for name, text in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(text.encode())
                t.addfile(info, io.BytesIO(text.encode()))
        return buf.getvalue()

    paper = {"main.tex": "\\documentclass{article}\n\\begin{document}\n\\input{sec}\nMain text.\n\\end{document}\n",
             "sec.tex": "Section text.\n"}
    single = "\\documentclass{article}\n\\begin{document}\nOne file, $e^{i\\pi}=-1$.\n\\end{document}\n"
    return _project(tmp_path / "eprints", {
        "2301.00001": tar(paper, "w:gz"), "2301.00002": gzip.compress(single.encode()),
        "2301.00003": tar(paper, "w"), "2301.00004v2": single, "2301.00005": b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        "9901001": single, "README": "Papers downloaded from arXiv.\n",
        "2301.00006": tar(paper, "w")[:700], "refs.bib": "@book{k, title={T}}\n"})


def test_arxiv_eprints_without_an_extension_are_read_by_their_content(tmp_path):
    """arXiv's /e-print/<id> downloads carry no extension: a gzipped tarball, a gzipped .tex, a
    tar, a .tex or a PDF named `2301.00004`. Each was counted `latex_other_files_skipped` and lost;
    now each is read by its first bytes, as the same bytes named .tar.gz, .gz, .tar are."""
    docs, quarantined, state = _read(_eprint_dir(tmp_path))
    ids = [d.id.split("/eprints/")[1] for d in docs]
    assert ids == ["2301.00001#main.tex", "2301.00002#main.tex", "2301.00003#main.tex", "2301.00004v2#main.tex",
                   "9901001#main.tex"]
    paper, single = "Section text.\n\nMain text.", "One file, $e^{i\\pi}=-1$."
    assert [d.text for d in docs] == [paper, single, paper, single, single]
    for name, ext in (("2301.00001", ".tar.gz"), ("2301.00002", ".gz"), ("2301.00003", ".tar")):
        named = tmp_path / (name + ext)       # the same bytes named by their format: the same document
        named.write_bytes((tmp_path / "eprints" / name).read_bytes())
        assert _read(named)[0][0].text == docs[ids.index(name + "#main.tex")].text
    # a cut tar is a damaged paper; the README and the .bib are other files, as before
    assert [(q.reason, q.id.split("/eprints/")[1]) for q in quarantined] == [("corrupt_archive", "2301.00006")]
    assert state.counters["latex_pdf_only_skipped"] == 1 and state.counters["latex_other_files_skipped"] == 2


def test_a_macro_name_after_a_line_break_is_text_not_a_use():
    """`\\\\sys` is a line break, then the letters `sys`: it was expanded as a use of `\\sys`."""
    from pipeline.readers.latex_text import expand_macros
    macros = {r"\sys": (0, "TokenMill")}
    assert expand_macros(r"a \\sys b \sys c \\\sys d", macros) == (r"a \\sys b TokenMill c \\TokenMill d", False)


def test_a_second_archive_after_the_first_ones_end_is_not_dropped_unseen(tmp_path, shared_data):
    """Two paper tarballs joined with `cat` (tar reads the second only with -i): the second was
    dropped uncounted. It is one item now; zero padding after an archive is its own, and other
    bytes are counted."""
    a = _tar_gz(shared_data / "sources" / "papers" / "scipy-1.0", tmp_path / "a.tar.gz").read_bytes()
    b = _tar_gz(shared_data / "sources" / "papers" / "sympy-paper", tmp_path / "b.tar.gz").read_bytes()
    alone = _read(tmp_path / "a.tar.gz")[0]
    plain_a, plain_b = gzip.decompress(a), gzip.decompress(b)
    for name, data in (("joined.tar.gz", a + b), ("joined.tar", plain_a + plain_b)):
        (tmp_path / name).write_bytes(data)
        docs, quarantined, _ = _read(tmp_path / name)
        assert [d.text for d in docs] == [alone[0].text]
        assert [q.reason for q in quarantined] == ["joined_archive"] and "another tar archive" in quarantined[0].detail
    (tmp_path / "padded.tar").write_bytes(plain_a + bytes(20480))
    docs, quarantined, state = _read(tmp_path / "padded.tar")
    assert len(docs) == 1 and not quarantined and "latex_junk_after_archive" not in state.counters
    (tmp_path / "junk.tar").write_bytes(plain_a + b"<html>404</html>")
    docs, quarantined, state = _read(tmp_path / "junk.tar")
    assert len(docs) == 1 and not quarantined and state.counters["latex_junk_after_archive"] == 1


_JA_TITLE, _JA_INTRO = "深層学習の研究", "\\section{はじめに}\n本研究では新しい手法を提案する。表を示す。\n"
_ZH_TITLE, _ZH_INTRO = "深度学习的研究", "\\section{引言}\n本文提出了一种新的方法，实验结果表明该方法有效。\n"


@pytest.mark.parametrize("docclass, codec, expected, title, intro", [
    ("\\documentclass[GBK,12pt]{ctexart}", "gbk", "gb18030", _ZH_TITLE, _ZH_INTRO),     # declared by ctex
    ("\\documentclass[a4j]{jarticle}", "cp932", "cp932", _JA_TITLE, _JA_INTRO),        # pLaTeX: detected
    ("\\documentclass{jsarticle}", "euc_jp", "euc_jp", _JA_TITLE, _JA_INTRO)])
def test_cjk_papers_in_legacy_encodings_are_read_in_them_not_as_mojibake(tmp_path, docclass, codec, expected,
                                                                          title, intro):
    """GBK, Shift-JIS and EUC-JP pairs form valid UTF-8 sequences by chance: such a paper was taken for
    UTF-8 with stray bytes and came out as cp1252 mojibake, unflagged. ctex names its encoding in its
    class options; pLaTeX papers name none, and detection finds it (for the included section too)."""
    def paper(folder, enc, cls):
        _project(folder, {"main.tex": (f"{cls}\n\\title{{{title}}}\n\\begin{{document}}\n\\maketitle\n"
                                       "\\input{intro}\n\\end{document}\n").encode(enc),
                          "intro.tex": intro.encode(enc)})
        return _read(folder)
    docs, quarantined, state = paper(tmp_path / "legacy", codec, docclass)
    assert not quarantined and len(docs) == 1
    assert intro.strip() in docs[0].text and docs[0].metadata["title"] == title
    assert set(docs[0].metadata["encodings"].values()) == {expected} and "flags" not in docs[0].metadata
    # the same paper in UTF-8 reads the same, with no encoding recorded
    utf8, _, _ = paper(tmp_path / "utf8", "utf-8", docclass.replace("GBK", "UTF8"))
    assert utf8[0].text == docs[0].text and "encodings" not in utf8[0].metadata


def test_a_file_its_encoding_cannot_read_whole_flags_the_document_decoded_lossy(tmp_path):
    body = "\\documentclass[GBK]{ctexart}\n\\begin{document}\n" + _ZH_INTRO + "\\end{document}\n"
    _project(tmp_path / "p", {"main.tex": body.encode("gbk").replace("新的".encode("gbk"), b"\xff")})
    docs, _, state = _read(tmp_path / "p")
    assert "\ufffd" in docs[0].text and "实验结果" in docs[0].text
    assert docs[0].metadata["flags"] == ["decoded_lossy"] and state.counters["latex_decoded_lossy_files"] == 1


def test_a_second_complete_paper_in_an_archive_is_counted_as_in_a_folder(tmp_path):
    """arXiv tarballs may hold a standalone supplementary.tex beside the paper: one is the paper (the
    same choice in both), the other counted, not silently lost."""
    doc = "\\documentclass{article}\n\\begin{document}\n%s\n\\end{document}\n"
    folder = _project(tmp_path / "p", {"paper.tex": doc % "The paper.",
                                       "supplementary.tex": doc % ("Supplementary proofs, longer. " * 5)})
    direct, _, dstate = _read(folder)
    packed, _, pstate = _read(_tar_gz(folder, tmp_path / "2303.00001.tar.gz"))
    assert [d.metadata["main_file"] for d in packed] == [d.metadata["main_file"] for d in direct]
    assert dict(pstate.counters) == dict(dstate.counters) == {"latex_other_main_files_skipped": 1}
    # a complete document the paper includes is part of it, in an archive as in a folder
    (folder / "paper.tex").write_text(doc % "The paper.\n\\input{supplementary}")
    direct, _, dstate = _read(folder)
    packed, _, pstate = _read(_tar_gz(folder, tmp_path / "2303.00002.tar.gz"))
    assert "Supplementary proofs" in packed[0].text and packed[0].text == direct[0].text
    assert "latex_other_main_files_skipped" not in pstate.counters | dstate.counters


def test_the_last_definition_of_the_papers_own_macro_holds():
    """\\renewcommand{\\todo}[1]{} after the paper's own \\newcommand{\\todo} silences its notes, as in
    TeX; \\renewcommand of LaTeX's own commands stays as written; \\providecommand defines nothing new."""
    from pipeline.readers.latex_text import expand_macros, simple_macros
    tex = ("\\newcommand{\\todo}[1]{\\textcolor{red}{TODO: #1}}\n\\renewcommand{\\todo}[1]{}\n"
           "\\renewcommand{\\section}[1]{\\textbf{#1}}\n\\def\\x{a}\n\\def\\x{b}\n\\providecommand{\\x}{c}\n"
           "Text \\todo{ask Bob} continues, \\x.\n")
    macros, rest, _ = simple_macros(tex)
    text = expand_macros(rest, macros)[0]
    assert "Text  continues, b." in text and "TODO" not in text
    assert "\\renewcommand{\\section}[1]{\\textbf{#1}}" in text      # LaTeX's own command: as written


def test_false_conditionals_are_dropped_their_else_part_kept():
    """\\if0 blocks go as \\iffalse ones; a \\newif flag the paper sets false drops its blocks (their
    \\else part kept); one it may set true, or never sets, keeps them."""
    from pipeline.readers.latex_text import strip_false_flags
    assert strip_comments("A\n\\if0\nHidden \\ifx\\a\\b x\\fi.\n\\fi\nB \\if00 kept\\fi\n") == \
        "A\n\nB \\if00 kept\\fi\n"
    flags = ("\\newif\\ifdraft\n\\draftfalse\n\\newif\\iffull\n\\fulltrue\n\\fullfalse\n\\newif\\ifnever\n"
             "\\ifdraft Draft notes.\\else Final text.\\fi\n\\iffull Full.\\fi\n\\ifnever Never.\\fi\n")
    out = strip_false_flags(flags)
    assert "Draft notes" not in out and "Final text." in out and "\\iffull Full.\\fi" in out
    assert "\\ifnever Never.\\fi" in out and "\\newif\\ifdraft" in out
    assert strip_comments("\\iffalse old\\else new\\fi") == " new"


def test_a_comment_after_a_line_break_goes_and_url_percents_stay(tmp_path):
    folder = _project(tmp_path / "p", {"ms.tex": (
        "\\documentclass{article}\n\\begin{document}\na & b \\\\% first row comment\nc & d \\\\\n"
        "Download \\url{http://host/x%20y.tar} now. % a comment\n"
        "See \\href{http://host/a%20b}{the 50\\% data}.\nThree \\\\\\% kept % gone\n\\end{document}\n")})
    text = _read(folder)[0][0].text
    assert "comment" not in text and "gone" not in text and "a & b \\\\\nc & d \\\\" in text
    assert "\\url{http://host/x%20y.tar} now." in text and "\\href{http://host/a%20b}{the 50\\% data}." in text
    assert "Three \\\\\\% kept" in text


def test_a_bom_in_an_included_file_and_title_notes_are_dropped(tmp_path):
    folder = _project(tmp_path / "p", {
        "main.tex": "\ufeff\\documentclass{article}\n\\title{Fast Things\\thanks{Funded by NSF.}\\footnote[1]{Note.}}\n"
                    "\\begin{document}\n\\input{sec}\n\\end{document}\n",
        "sec.tex": "\ufeff\\section{Intro}\nText here.\n"})
    docs, _, _ = _read(folder)
    assert docs[0].text == "\\section{Intro}\nText here." and docs[0].metadata["title"] == "Fast Things"
