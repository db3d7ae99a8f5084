"""LaTeX reader: flags set true, the comment package's own environments, arXiv's 00README, and the
same main file for a paper's folder as for its archive."""
import io
import json
import tarfile

from pipeline.readers import ReadState, expand_paths, read_source_file
from pipeline.recipe import SourceConfig
from tests.test_latex_layouts import _read as read_all

DOC = "\\documentclass{article}\n%s\n\\begin{document}\n%s\n\\end{document}\n"


def _read(path):
    docs, quarantined, state = read_all(path)
    assert not quarantined
    return docs, state


def _project(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _tar_gz(folder, dest):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                tar.add(p, arcname=str(p.relative_to(folder)))
    dest.write_bytes(buf.getvalue())
    return dest


def test_a_flag_the_paper_sets_true_keeps_its_first_branch_only(tmp_path):
    """\\ifarxiv set true: its \\else part (the journal version, often a near copy) is dead text; a
    flag set both ways stays as written."""
    folder = _project(tmp_path / "p", {"paper.tex": DOC % (
        "\\newif\\ifarxiv\n\\arxivtrue\n\\newif\\ifboth\n\\bothtrue\n\\bothfalse",
        "\\ifarxiv\nARXIV version \\iffalse hidden\\fi here.\n\\else\nJOURNAL version.\n\\fi\n"
        "\\ifboth Unsure.\\else Still unsure.\\fi")})
    docs, _ = _read(folder)
    text = docs[0].text
    assert "ARXIV version  here." in text and "JOURNAL" not in text and "hidden" not in text
    assert "\\ifarxiv" not in text
    assert "\\ifboth Unsure.\\else Still unsure.\\fi" in text


def test_environments_of_excludecomment_go_and_of_includecomment_stay(tmp_path):
    """The comment package's \\excludecomment{longversion} in the preamble, the environment used in
    an included file: dropped; \\includecomment{shortversion}: its text kept, not its \\begin/\\end."""
    folder = _project(tmp_path / "p", {
        "paper.tex": DOC % ("\\usepackage{comment}\n\\excludecomment{longversion}\n\\includecomment{shortversion}",
                            "Intro.\n\\input{body}"),
        "body.tex": "\\begin{longversion}\nLONG proof.\n\\end{longversion}\n"
                    "\\begin{shortversion}\nSHORT proof.\n\\end{shortversion}\nEnd.\n"})
    docs, _ = _read(folder)
    text = docs[0].text
    assert "LONG" not in text and "SHORT proof." in text and "End." in text
    assert "shortversion" not in text


def test_arxivs_00readme_names_the_main_file_and_the_ignored_ones(tmp_path):
    """ms_old.tex is larger and includes more, so the heuristics would take it; the 00README says
    ms.tex is the top-level file and ms_old.tex (and extra.tex, which ms.tex inputs) are ignored.
    The structured 00README (JSON) says the same and wins over the .XXX."""
    files = {"ms.tex": DOC % ("", "NEW paper.\n\\input{sec}\n\\input{extra}"),
             "ms_old.tex": DOC % ("", "OLD paper, longer. " * 20 + "\n\\input{sec}\n\\input{sec2}"),
             "sec.tex": "Section.\n", "sec2.tex": "Section two.\n", "extra.tex": "EXTRA text.\n",
             "00README.XXX": "ms.tex toplevelfile\nms_old.tex ignore\nextra.tex ignore\nfig.eps landscape\n"}
    folder = _project(tmp_path / "p", files)
    for source in (folder, _tar_gz(folder, tmp_path / "2401.00001.tar.gz")):
        docs, state = _read(source)
        assert [d.metadata["main_file"] for d in docs] == ["ms.tex"], source
        assert "NEW paper" in docs[0].text and "EXTRA" not in docs[0].text
        assert docs[0].metadata["missing_inputs"] == ["extra"]
        assert state.counters["latex_ignored_files_skipped"] == 2
        assert "latex_other_main_files_skipped" not in state.counters
    (folder / "00README.json").write_text(json.dumps({"process": {"compiler": "pdflatex"}, "sources": [
        {"filename": "ms_old.tex", "usage": "toplevel"}, {"filename": "ms.tex", "usage": "ignore"}]}))
    for source in (folder, _tar_gz(folder, tmp_path / "2401.00002.tar.gz")):
        docs, _ = _read(source)
        assert [d.metadata["main_file"] for d in docs] == ["ms_old.tex"], source
    (folder / "00README.json").write_text("{not json")
    docs, state = _read(_tar_gz(folder, tmp_path / "2401.00003.tar.gz"))
    assert docs[0].metadata["main_file"] == "ms_old.tex"        # the heuristics, as without a 00README
    assert state.counters["latex_unreadable_00readme"] == 1


def test_a_paper_folder_and_its_archive_choose_the_same_main_file(tmp_path):
    """ms.tex reads sections/, so its folder's paper spans its subfolders, as the archive's does:
    slides/talk.tex (a beamer deck) is another main file, counted, in both. A collection's loose
    paper that reads nothing below it leaves its paper folders' papers their own."""
    beamer = "\\documentclass{beamer}\n\\begin{document}\n\\begin{frame}{Talk}Fast\\end{frame}\n\\end{document}\n"
    folder = _project(tmp_path / "c" / "p5", {
        "ms.tex": DOC % ("", "The paper.\n\\input{sections/intro}"), "sections/intro.tex": "Intro text.\n",
        "slides/talk.tex": beamer})
    direct, dstate = _read(folder)
    packed, pstate = _read(_tar_gz(folder, tmp_path / "p5.tar.gz"))
    assert [d.metadata["main_file"] for d in direct] == [d.metadata["main_file"] for d in packed] == ["ms.tex"]
    assert dstate.counters["latex_other_main_files_skipped"] == pstate.counters["latex_other_main_files_skipped"] == 1
    # a collection: a loose paper beside paper folders, one of which has slides of its own
    _project(tmp_path / "c", {"single.tex": DOC % ("", "A loose paper."), "p3/paper.tex": DOC % ("", "Flat paper.")})
    docs, _ = _read(tmp_path / "c")
    assert sorted(d.id.split("/c/")[1] for d in docs) == ["p3/paper.tex", "p5/ms.tex", "single.tex"]


def test_a_folders_main_file_is_chosen_once_per_reading_and_whatever_the_order(tmp_path, monkeypatch):
    """Sections that compile on their own (docmute's: each has \\documentclass and \\begin{document})
    may each be a paper, so each climbed the tree and chose its folder's main file again. The choice
    is now made once per folder per reading, and the documents and counts are those of any order and
    of each file read with a state of its own (a worker reading it alone)."""
    from pipeline.readers.latex_files import Project
    section = "\\documentclass{article}\n\\usepackage{docmute}\n\\begin{document}\nSection %d text.\n\\end{document}\n"
    for paper in ("p1", "p2"):
        _project(tmp_path / "c" / paper, {
            "main.tex": DOC % ("\\usepackage{docmute}", "".join(f"\\input{{s{i}}}\n" for i in range(6))),
            **{f"s{i}.tex": section % i for i in range(6)}})
    chosen = []
    main = Project.main
    monkeypatch.setattr(Project, "main", lambda self, names: chosen.append(names) or main(self, names))
    src = SourceConfig(name="papers", format="latex", paths=[str(tmp_path / "c")])
    files = expand_paths(str(tmp_path / "c"))

    def read(order, one_state=True):
        out, counters, state = [], {}, ReadState()
        for p in order:
            state = state if one_state else ReadState()
            out += [(d.id, d.text) for d in read_source_file(src, p, state)]
            if not one_state:
                counters = {k: counters.get(k, 0) + state.counters.get(k, 0) for k in {*counters, *state.counters}}
        return sorted(out), state.counters if one_state else counters

    forward = read(files)
    # twice per paper folder (whether its paper spans its subfolders, then which file is its main),
    # not twice per section
    assert len(chosen) == 4 and len(forward[0]) == 2
    assert forward[1] == {"latex_included_files_skipped": 12}
    assert read(files[::-1]) == read(files, one_state=False) == forward
