"""The code reader on checkouts as they come without git (an unpacked GitHub zip, `git archive`, a
dataset's snapshot), with submodules, and on extensions several languages share. The trees are
laid out here after real repositories (each cited as owner/name @ commit), with a few real lines
of each file."""
import json

from pipeline.documents import documents_table
from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.readers.code import language_of
from pipeline.recipe import SourceConfig
from stages.code_filter import CodeFilter

GO = "package {}\n\nimport (\n\t\"bufio\"\n\t\"os\"\n)\n"


def read(paths, **opts):
    """Every file `paths` lists, read as a run reads it: (docs, counters)."""
    paths = [str(p) for p in paths]
    src = SourceConfig(name="s", format="code", paths=paths, **opts)
    state, docs = ReadState(), []
    for f in sorted({f for p in paths for f in expand_paths(p)}):
        docs += [i for i in read_source_file(src, f, state) if isinstance(i, Doc)]
    return docs, dict(state.counters)


def _write(root, files):
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _go_tail(tmp_path):
    """gravitational/go-tail @ 7c31f2496790dd0fd5d2b18e7539e1f3697acd05 as its snapshot has it: no
    .git, its own follower/ and a vendored copy of papertrail/go-tail's follower/ under vendor/."""
    root = tmp_path / "go-tail"
    _write(root, {"go.mod": "module github.com/gravitational/go-tail\n\ngo 1.14\n", "main.go": GO.format("main"),
                  "follower/follower.go": GO.format("follower"),
                  "vendor/github.com/papertrail/go-tail/follower/follower.go": GO.format("follower"),
                  "vendor/github.com/Sirupsen/logrus/entry.go": GO.format("logrus"),
                  "vendor/modules.txt": "# github.com/Sirupsen/logrus v1.6.0\n"})
    return root


def test_a_checkout_without_git_is_the_listed_directorys_repository(tmp_path):
    """Without .git and without `root`, each file was its own folder's repository: follower.go of
    repository `follower`, logrus's entry.go of `logrus`, so code_filter's `vendored` rule never
    saw vendor/ (192 of the probe's go-tail files kept) and the two follower/follower.go had one
    id. The listed directory is the repository, as `root` would make it."""
    root = _go_tail(tmp_path)
    docs, _ = read([root])
    got = [(d.metadata["repo"], d.metadata["path"]) for d in docs]
    assert sorted(got) == [("go-tail", p) for p in (
        "follower/follower.go", "go.mod", "main.go", "vendor/github.com/Sirupsen/logrus/entry.go",
        "vendor/github.com/papertrail/go-tail/follower/follower.go", "vendor/modules.txt")]
    assert len({d.id for d in docs}) == len(docs)
    with_root, _ = read([root], root=str(root))
    assert sorted((d.metadata["repo"], d.metadata["path"]) for d in with_root) == sorted(got)
    table = documents_table([{"id": d.id, "source": "s", "text": d.text_str, "metadata": d.metadata} for d in docs])
    reasons = dict(zip((p for _, p in got), CodeFilter().judge(table).reasons))
    assert {p for p, r in reasons.items() if r == "vendored"} == {p for p in reasons if p.startswith("vendor/")}


def test_a_checkout_with_git_and_root_with_repo_depth_keep_their_repositories(tmp_path):
    """A real checkout (a .git) below the listed directory is still its own repository; a file
    listed by name, of no checkout, its folder's; `root` + `repo_depth` name the repository."""
    tree = tmp_path / "tree"
    _write(tree, {"plain/src/a.py": "a = 1\n", "checkout/src/b.py": "b = 1\n"})
    (tree / "checkout" / ".git").mkdir()
    docs, _ = read([tree])
    assert {(d.metadata["repo"], d.metadata["path"]) for d in docs} == {("tree", "plain/src/a.py"),
                                                                        ("checkout", "src/b.py")}
    alone, _ = read([tree / "plain" / "src" / "a.py"])
    assert (alone[0].metadata["repo"], alone[0].metadata["path"]) == ("src", "a.py")
    deep, _ = read([tree], root=str(tree), repo_depth=1)
    assert {(d.metadata["repo"], d.metadata["path"]) for d in deep} == {("plain", "src/a.py"), ("checkout", "src/b.py")}


def test_a_submodules_files_are_skipped_and_counted(tmp_path):
    """A submodule's folder (its .git a file: `gitdir: ../../.git/modules/libs/sub`) was read as
    files of the superproject: it is another repository, which a clone does not hold and The
    Stack has no content of. Listed itself, it is read as its own repository; a linked worktree
    (`gitdir: .../.git/worktrees/wt`) is a checkout like any other."""
    root = tmp_path / "repo"
    _write(root, {"main.c": "int main(void) { return 0; }\n", "libs/sub/sub.c": "int sub(void) { return 1; }\n",
                  "libs/sub/.git": "gitdir: ../../.git/modules/libs/sub\n", ".git/HEAD": "ref: refs/heads/main\n"})
    for opts in ({}, {"root": str(root)}):
        docs, counters = read([root], **opts)
        assert [d.metadata["path"] for d in docs] == ["main.c"], opts
        assert counters == {"code_submodule_files_skipped": 1}, opts
    named, counters = read([root / "libs" / "sub" / "sub.c"])
    assert named == [] and counters == {"code_submodule_files_skipped": 1}
    own, counters = read([root / "libs" / "sub"])
    assert [(d.metadata["repo"], d.metadata["path"]) for d in own] == [("sub", "sub.c")] and counters == {}
    wt = tmp_path / "wt"
    _write(wt, {".git": f"gitdir: {root}/.git/worktrees/wt\n", "src/w.c": "int w;\n"})
    docs, counters = read([wt])
    assert [(d.metadata["repo"], d.metadata["path"]) for d in docs] == [("wt", "src/w.c")] and counters == {}


# Real lines of files whose extension several languages share, and the language linguist names.
SHARED_EXTENSIONS = {
    # 2ion/crctk @ 1f3d500c404d6d4f7abb3b9495c23ef9d3078171: ncmpcpp's C++ headers beside C ones
    "src/tolower.h": ("#ifndef _TOLOWER_H\n#define _TOLOWER_H\n\n#include <string>\n\n"
                      "void ToLower(std::string &);\nvoid ToLower(std::wstring &);\n\n#endif\n", "C++"),
    "src/strbuffer.h": ("#include <list>\n\n#include \"window.h\"\n\nnamespace NCurses\n{\n"
                        "\ttemplate <typename C> class basic_buffer\n\t{\n", "C++"),
    "src/crc.h": ("#ifndef CRC_H\n#define CRC_H\n\n#include <stdint.h>\n#include <stdio.h>\n\n"
                  "uint32_t compute_crc32(FILE *fp);\n\n#endif\n", "C"),
    # git/git @ 1a3e64c6c4a623626ff0687008732a8e007e2a1c: prose in a comment names no C++
    "compat/obstack.h": ("/* ... the standard C library's obstack functions, which take the\n"
                         "   namespace with <stddef.h>'s symbols.  Otherwise, include <stddef.h>\n*/\n"
                         "#include <stddef.h>\nstruct obstack;\n", "C"),
    "t/Git-SVN/00compile.t": ("#!/usr/bin/env perl\n\nuse strict;\nuse warnings;\n\nuse Test::More tests => 7;\n\n"
                              "require_ok 'Git::SVN';\n", "Perl"),
    # apache/arrow @ 515410b2a14ac766258e00b07eab9e5ee2692a62: the MATLAB interface
    "matlab/src/matlab/+arrow/+array/+internal/+display/getHeader.m": (
        "%GETHEADER Generates the display header for arrow.array.Array classes\n\n"
        "function header = getHeader(className, numElements, numNulls)\n"
        "    import arrow.internal.display.pluralizeStringIfNeeded\n", "Matlab"),
    # google/gson @ 9835b6f90192f79cdf5300c528fc6212455fb6c1
    "gson/src/main/resources/META-INF/proguard/gson.pro": (
        "### Gson ProGuard and R8 rules which are relevant for all users\n\n"
        "# Keep generic signatures; needed for correct type resolution\n-keepattributes Signature\n", "Proguard"),
    # scolobb/sympy-paper @ 22c1c37446729aec0329d8616103e42ee5dcf69f
    "siamart0216.cls": ("%% siamart0216.cls\n\\NeedsTeXFormat{LaTeX2e}[1995/06/01]\n"
                        "\\ProvidesClass{siamart0216}[2016/02/26 v1.4 LaTeX document e-class]\n", "TeX"),
    # curl/curl @ 5c61e168698a72b87437d58ed728bcdea6d5db42: linguist's file name, not POV-Ray
    "docs/cmdline-opts/Makefile.inc": ("DPAGES = abstract-unix-socket.md alt-svc.md anyauth.md \\\n", "Makefile"),
    # 2ion/crctk's autoconf macros
    "aclocal.m4": ("# generated automatically by aclocal 1.14.1 -*- Autoconf -*-\n\n"
                   "m4_ifndef([AC_CONFIG_MACRO_DIRS], [m4_defun([_AM_CONFIG_MACRO_DIRS], [])])\n", "M4Sugar"),
}


def test_languages_of_shared_extensions_come_from_the_content(tmp_path):
    """`.h`, `.m`, `.t`, `.pro`, `.cls` had the language of the extension alone (cached per
    extension): C++ headers read as C, MATLAB as Objective-C, Perl tests as TADS 3, ProGuard rules
    as Visual Prolog, a LaTeX class as OpenEdge ABL, autoconf macros as none."""
    _write(tmp_path / "r", {p: text for p, (text, _) in SHARED_EXTENSIONS.items()})
    docs, _ = read([tmp_path / "r"], root=str(tmp_path / "r"))
    assert {d.metadata["path"]: d.metadata["language"] for d in docs} == \
        {p: lang for p, (_, lang) in SHARED_EXTENSIONS.items()}
    # Stack-style rows without a label get the same
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"content": text, "path": p, "repo": "r"}) + "\n"
                            for p, (text, _) in SHARED_EXTENSIONS.items()))
    docs, _ = read([rows], layout="rows")
    assert {d.metadata["path"]: d.metadata["language"] for d in docs} == \
        {p: lang for p, (_, lang) in SHARED_EXTENSIONS.items()}


def test_language_rules_of_each_shared_extension():
    """linguist's heuristics (lib/linguist/heuristics.yml) for the extensions met in repositories;
    None where nothing tells, rather than the registry's guess."""
    cases = [("a.h", "@interface Foo : NSObject\n@end\n", "Objective-C"),
             ("a.h", "int add(int a, int b);\n", "C"),
             ("a.m", "#import \"Foo.h\"\n@implementation Foo\n@end\n", "Objective-C"),
             ("a.m", "(* Mathematica package *)\nBeginPackage[\"Foo`\"]\n", "Mathematica"),
             ("a.m", ":- module foo.\n:- interface.\n", "Mercury"),
             ("a.t", "use v6;\nplan 1;\n", "Raku"), ("a.t", "  $ hg init repo\n", None),
             ("a.pl", "parent(tom, bob).\nancestor(X, Y) :- parent(X, Y).\n", "Prolog"),
             ("a.pl", "use strict;\nmy $x = 1; # :- not Prolog\n", "Perl"),
             ("a.inc", "<?php\n$config = [];\n", "PHP"), ("a.inc", "#declare Red = rgb <1, 0, 0>;\n", "POVRay"),
             ("a.inc", "{$mode objfpc}\nend.\n", "Delphi"), ("a.inc", "static const int table[] = {1, 2};\n", "C++"),
             ("a.inc", "some words\n", None),
             ("a.pro", "TEMPLATE = app\nSOURCES += main.cpp\n", "QMake"),
             ("a.pro", "foo(X) :- bar(X).\n", "Prolog"),
             ("a.def", "Bootstrap: docker\nFrom: ubuntu:22.04\n", "Singularity"),
             ("a.def", "LIBRARY zlib\nEXPORTS\n  deflate\n", None),
             ("a.cls", "public with sharing class AccountService {\n}\n", "Apex"),
             ("a.ts", "<?xml version=\"1.0\"?>\n<!DOCTYPE TS>\n<TS version=\"2.1\" language=\"de\">\n", "XML"),
             ("a.ts", "export const x: number = 1;\n", "TypeScript"),
             ("a.v", "Theorem t : True.\nProof. exact I. Qed.\n", "Rocq Prover"),
             ("a.v", "module counter(input clk);\nendmodule\n", "verilog"),
             ("a.v", "fn main() {\n\tprintln('hi')\n}\n", "V")]
    assert [(n, t, language_of(n, t)) for n, t, _ in cases] == cases


def test_names_linguist_knows_that_pygments_does_not():
    names = {"report.Rmd": "RMarkdown", "paper.qmd": "RMarkdown", "mod.mts": "TypeScript", "mod.cts": "TypeScript",
             "configure.ac": "M4Sugar", "Jenkinsfile": "Groovy", "Podfile": "Ruby", "macros.m4": "M4",
             "lib.raku": "Raku", "t/basic.t": None, "a.h": "C"}
    assert {n: language_of(n) for n in names} == names
