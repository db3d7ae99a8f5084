"""LaTeX reader: the layouts of arXiv sources and paper checkouts, built at test time from the
shared sample papers: a paper's data archives, a supplement or reply to the referees beside the
paper, arXiv's e-print and bulk forms, empty and damaged archives."""
import bz2
import gzip
import io
import json
import shutil
import tarfile
import zipfile

import pytest

from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.readers.latex_files import companion
from pipeline.recipe import SourceConfig


def _read(path):
    src = SourceConfig(name="papers", format="latex", paths=[str(path)])
    docs, quarantined, state = [], [], ReadState()
    for p in expand_paths(str(path)):
        for item in read_source_file(src, p, state):
            (docs if isinstance(item, Doc) else quarantined).append(item)
    return docs, quarantined, state


def _tar(files: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def scipy(shared_data):
    folder = shared_data / "sources" / "papers" / "scipy-1.0"
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _standalone(body: bytes) -> bytes:
    return b"\\documentclass{article}\n\\begin{document}\n" + body + b"\n\\end{document}\n"


def test_an_archive_of_data_in_a_papers_folder_is_counted_not_a_failed_paper(tmp_path, scipy):
    """A paper's checkout holds its data and figures packed (`results.tar.xz`, `figures.zip`, in
    its folder or a `data/` below it): each was quarantined `no_main_tex`, as if a paper had
    failed. An archive holding a paper is still read, and a damaged one still quarantined."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name, data in scipy.items():
        (checkout / name).write_bytes(data)
    (checkout / "results.tar.xz").write_bytes(_tar({"results/timings.csv": b"n,seconds\n10,0.5\n"}, "w:xz"))
    (checkout / "figures.zip").write_bytes(_zip({"fig1.eps": b"%!PS-Adobe-3.0 EPSF-3.0\n"}))
    (checkout / "data").mkdir()
    (checkout / "data" / "raw.tar.gz").write_bytes(_tar({"raw/bench.json": b"{}"}))
    (checkout / "arxiv").mkdir()       # the paper as sent to arXiv: a paper, read as one
    (checkout / "arxiv" / "submission.tar.gz").write_bytes(_tar(scipy))
    (checkout / "broken.tar.gz").write_bytes(_tar({"x.csv": b"1\n" * 1000})[:60])

    docs, quarantined, state = _read(checkout)
    assert sorted(d.metadata["main_file"] for d in docs) == ["paper.tex", "paper.tex"]
    assert docs[0].text == docs[1].text
    assert [q.reason for q in quarantined] == ["corrupt_archive"]
    assert state.counters["latex_data_archives_skipped"] == 3

    # the same archive where no paper is (a folder of e-prints): quarantined, saying what it holds
    alone = tmp_path / "eprints"
    alone.mkdir()
    shutil.copy(checkout / "results.tar.xz", alone)
    docs, quarantined, state = _read(alone)
    assert not docs and [q.reason for q in quarantined] == ["no_main_tex"]
    assert "no .tex file among its 1 files (results/timings.csv)" in quarantined[0].detail
    assert "latex_data_archives_skipped" not in state.counters


def test_a_supplement_or_a_reply_to_the_referees_is_not_taken_for_the_paper(tmp_path, scipy, shared_data):
    """arXiv sources ship a self-contained supplement or response letter beside the paper. One that
    includes more section files than the paper (sympy's supplement, made a document of its own), or
    a larger one where neither includes any, was taken for the paper and the paper counted as the
    other main file."""
    sympy = shared_data / "sources" / "papers" / "sympy-paper"
    files = dict(scipy)
    sections = sympy.joinpath("supplement.tex").read_bytes()
    for name in ("gruntz", "series", "logic", "diophantine", "sets", "gamma", "live", "comparison_with_mma",
                 "other_projects_that_use_sympy", "tensors"):
        files[f"{name}.tex"] = sympy.joinpath(f"{name}.tex").read_bytes()
    files["supplementary_material.tex"] = _standalone(sections)
    # a paper without includes, and a longer reply to the referees beside it
    short = {"ms.tex": _standalone(scipy["poly.tex"]),
             "response_to_reviewers.tex": _standalone(scipy["scipy-optimize.tex"])}
    for name, layout, main in (("supp", files, "paper.tex"), ("reply", short, "ms.tex")):
        folder = tmp_path / name
        folder.mkdir()
        for rel, data in layout.items():
            (folder / rel).write_bytes(data)
        (tmp_path / f"{name}.tar.gz").write_bytes(_tar(layout))
        for path in (folder, tmp_path / f"{name}.tar.gz"):
            docs, quarantined, state = _read(path)
            assert not quarantined and [d.metadata["main_file"] for d in docs] == [main], path
            assert state.counters["latex_other_main_files_skipped"] == 1


def test_a_papers_subject_in_its_name_is_no_companion(tmp_path):
    """Names split at camel case matched si/sm in any case: `SiNW_paper.tex` (silicon), `SM_EFT.tex`
    (the Standard Model) ranked last as companions, and a beamer talk beside it became the paper."""
    paper = (b"\\documentclass{revtex4}\n\\begin{document}\n\\title{Silicon nanowires}\n\\input{intro}\n"
             b"\\input{results}\n\\end{document}\n")
    talk = _standalone(b"\\begin{frame}Slides of the talk about the nanowires. " + b"Summary. " * 300
                       + b"\\end{frame}")
    for name in ("SiNW_paper.tex", "SiGe_growth.tex", "DMRG_Si.tex", "SM_EFT.tex", "SI.tex", "Sm_magnets.tex"):
        folder = tmp_path / name.removesuffix(".tex")
        folder.mkdir()
        for rel, data in {name: paper, "intro.tex": b"We grow silicon nanowires by a new method. " * 40,
                          "results.tex": b"The wires conduct well and we measured them. " * 60,
                          "talk.tex": talk}.items():
            (folder / rel).write_bytes(data)
        docs, quarantined, state = _read(folder)
        assert not quarantined and [d.metadata["main_file"] for d in docs] == [name]
        assert state.counters["latex_other_main_files_skipped"] == 1
    # the abbreviations name a companion as a word after another, in capitals or lower case
    assert [companion(n) for n in ("ms_SI.tex", "main-sm.tex", "paper_supp.tex", "PaperESM.tex", "paper2_si.tex",
                                   "supplement.tex", "Supplementary_Material.tex", "cover_letter.tex")] == [True] * 8
    assert [companion(n) for n in ("Si_nanowires.tex", "DMRG_Si.tex", "SI.tex", "ESM.tex", "NiSi.tex",
                                   "paper_Sm.tex")] == [False] * 6


def test_an_empty_archive_is_quarantined_saying_it_is_empty(tmp_path):
    """A tarball or zip with no files was `no_main_tex` with the detail of a paper that failed (no
    \\documentclass ...): it now says the archive holds nothing."""
    (tmp_path / "2301.00001.tar.gz").write_bytes(_tar({}))
    (tmp_path / "project.zip").write_bytes(_zip({}))
    docs, quarantined, _ = _read(tmp_path)
    assert not docs and [(q.reason, q.detail.split(": ", 1)[1]) for q in quarantined] == \
        [("no_main_tex", "the archive holds no files")] * 2


def test_postscript_only_submissions_are_counted_as_pdf_only_ones_are(tmp_path):
    """arXiv serves the papers of the 1990s submitted as PostScript as a gzipped .ps: in a bulk tar
    it was quarantined `no_main_tex`, as an e-print counted among other files. An EPS figure is
    still a figure."""
    ps = gzip.compress(b"%!PS-Adobe-2.0\n%%Title: hep-th/9501001\n%%Pages: 12\n")
    bulk = tmp_path / "arXiv_src_9501_001.tar"
    bulk.write_bytes(_tar({"9501/9501001.gz": ps, "9501/9501002.pdf": b"%PDF-1.2\n",
                           "9501/9501003.gz": gzip.compress(_standalone(b"A paper."))}, "w"))
    docs, quarantined, state = _read(bulk)
    assert [d.text for d in docs] == ["A paper."] and not quarantined
    assert state.counters["latex_postscript_only_skipped"] == 1 and state.counters["latex_pdf_only_skipped"] == 1
    (tmp_path / "eprint").mkdir()
    (tmp_path / "eprint" / "9501001").write_bytes(ps)
    assert _read(tmp_path / "eprint")[2].counters["latex_postscript_only_skipped"] == 1
    (tmp_path / "figure.eps.gz").write_bytes(gzip.compress(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n"))
    assert _read(tmp_path / "figure.eps.gz")[2].counters == {"latex_other_files_skipped": 1}


def test_arxiv_source_forms_give_the_papers_document(tmp_path, scipy):
    """What was already right, kept so: each form arXiv (or Overleaf) ships a paper in gives the
    document of its folder; a 00README's top-level file wins over a larger paper beside it;
    `\\input` without extension or braces, `\\include`, `\\subfile`, `\\import` and `\\subimport`
    are read; a PDF is counted; a damaged archive is one `corrupt_archive` item."""
    folder = tmp_path / "scipy"
    folder.mkdir()
    for name, data in scipy.items():
        (folder / name).write_bytes(data)
    [expected] = _read(folder)[0]
    big = _standalone(b"A larger paper beside the one the 00README names. " * 4000)
    forms = {
        "1907.10121.tar.gz": _tar({"src/" + k: v for k, v in scipy.items()}),
        "1907.10121.tar.bz2": _tar(scipy, "w:bz2"),
        "1907.10121.tar": _tar(scipy, "w"),
        "overleaf.zip": _zip({"Project/" + k: v for k, v in scipy.items()}),
        "1907.10122": _tar(scipy),                                     # an /e-print/ download
        "readme_xxx.tar.gz": _tar({**scipy, "big.tex": big, "00README.XXX": b"paper.tex toplevelfile\n"}),
        "readme_json.tar.gz": _tar({**scipy, "big.tex": big, "00README.json": json.dumps(
            {"sources": [{"filename": "paper.tex", "usage": "toplevel"}]}).encode()}),
    }
    for name, data in forms.items():
        (tmp_path / name).write_bytes(data)
        docs, quarantined, _ = _read(tmp_path / name)
        assert not quarantined and len(docs) == 1 and docs[0].text == expected.text, name

    single = _standalone(b"One file, $e^{i\\pi}=-1$.")
    for name, data in (("2301.00001", gzip.compress(single)), ("2301.00002.gz", gzip.compress(single))):
        (tmp_path / name).write_bytes(data)
        assert [d.text for d in _read(tmp_path / name)[0]] == ["One file, $e^{i\\pi}=-1$."]

    ms = (b"\\documentclass{article}\n\\usepackage{import}\n\\begin{document}\n\\input{intro}\n\\input two\n"
          b"\\include{chap}\n\\subfile{parts/sf}\n\\import{sec/}{imp}\n\\subimport{sec/}{imp2.tex}\n\\end{document}\n")
    parts = {"ms.tex": ms, "intro.tex": b"Intro.", "two.tex": b"Two.", "chap.tex": b"Chapter.",
             "parts/sf.tex": _standalone(b"Subfile.").replace(b"{article}", b"[../ms.tex]{subfiles}"),
             "sec/imp.tex": b"Imported \\input{deep}.", "sec/deep.tex": b"deep", "sec/imp2.tex": b"Subimported."}
    (tmp_path / "includes.tar.gz").write_bytes(_tar(parts))
    [doc] = _read(tmp_path / "includes.tar.gz")[0]
    assert doc.text.split() == ["Intro.", "Two.", "Chapter.", "Subfile.", "Imported", "deep.", "Subimported."]

    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "2301.00003").write_bytes(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    assert _read(tmp_path / "pdf")[2].counters == {"latex_pdf_only_skipped": 1}
    good = forms["1907.10121.tar.bz2"]
    (tmp_path / "cut.tar.bz2").write_bytes(good[:len(good) // 2])
    (tmp_path / "noise.zip").write_bytes(b"PK\x03\x04" + bz2.compress(b"x" * 100))
    for name in ("cut.tar.bz2", "noise.zip"):
        docs, quarantined, _ = _read(tmp_path / name)
        assert not docs and [q.reason for q in quarantined] == ["corrupt_archive"], name
