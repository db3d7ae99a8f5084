"""A source file's language: GitHub linguist's names and rules over Pygments' registry.

By name first (Pygments' filename patterns, with linguist's overrides where Pygments is wrong or has
no lexer); for the extensions linguist decides by content (`.h` C, C++ or Objective-C; `.m`
Objective-C or MATLAB; `.t` Perl or TADS; `.pl`, `.inc`, `.pro`, `.def`, `.cls`, `.ts`, `.v`, `.m4`),
by regular expressions over the file's first HEURISTIC_CHARS, after linguist's heuristics.yml; a
script without an extension by its shebang. Hand-written rules rather than go-enry's bindings: a
native dependency for a dozen tables.
"""
from __future__ import annotations

import functools
import posixpath
import re

from pipeline.readers.code_notebooks import language_named

# Where Pygments' name-only guess is wrong for the files of real repositories, or it has no lexer:
# names from GitHub linguist's. `.S` is assembly run through the C preprocessor (Pygments: S, the
# R language's ancestor), `.pl`/`.pm` Perl (Prolog, Promela), `.r` R (REBOL), go.mod a Go module
# file (Modula-2), a notebook a Jupyter Notebook (Pygments has no lexer for its JSON), `.fs` F#
# (Forth), `.sql` SQL (Transact-SQL, one dialect), `.cl` Common Lisp (Visual Prolog); and the
# extensions and file names of languages Pygments has no lexer or pattern for (Svelte, Astro, JSON
# with comments, GLSL sources named .glsl, sbt builds, R Markdown and Quarto, ES module TypeScript,
# autoconf's configure.ac, Jenkins and CocoaPods files).
LANGUAGE_OVERRIDES = {".S": "GAS", ".pl": "Perl", ".pm": "Perl", ".r": "R", ".R": "R", ".ipynb": "Jupyter Notebook",
                      "go.mod": "Go Module", "go.sum": "Go Checksums", ".fs": "F#", ".sql": "SQL",
                      ".cl": "Common Lisp", ".svelte": "Svelte", ".astro": "Astro", ".jsonc": "JSON with Comments",
                      ".glsl": "GLSL", ".sbt": "Scala", ".for": "Fortran",
                      ".Rmd": "RMarkdown", ".rmd": "RMarkdown", ".qmd": "RMarkdown", ".mts": "TypeScript",
                      ".cts": "TypeScript", ".mkd": "Markdown", ".ejs": "EJS", ".gvy": "Groovy", ".podspec": "Ruby",
                      "configure.ac": "M4Sugar", "Jenkinsfile": "Groovy", "Podfile": "Ruby", "Brewfile": "Ruby",
                      "Fastfile": "Ruby", "Dangerfile": "Ruby", "Containerfile": "Docker", "Makefile.inc": "Makefile",
                      ".babelrc": "JSON with Comments", ".jshintrc": "JSON with Comments"}
# Pygments' S lexer is R's, its Nimrod is Nim, its Perl6 Raku: named as the languages are known today.
_RENAMED = {"S": "R", "Nimrod": "Nim", "Perl6": "Raku"}

# Extensions that several languages share, told apart by the file's first HEURISTIC_CHARS characters
# as GitHub linguist's heuristics.yml does (its rules, for the languages met in repositories): the
# first rule whose patterns all match names the language; the last, without patterns, is the
# default (None: no language rather than a guess, as linguist gives none). Names are those the
# reader gives the language elsewhere (Pygments': Matlab, Delphi, verilog; linguist's where Pygments
# has none). Hand-written: linguist is Ruby and go-enry's Python bindings need a native library.
HEURISTIC_CHARS = 16384
_OBJC = (r"^\s*(?:@(?:interface|class|protocol|property|end|synchronised|selector|implementation)\b|"
         r"#import\s+.+\.h[\">])")
_CPP = (r"^\s*#\s*include\s*<(?:cstdint|string|vector|map|list|array|bitset|queue|stack|forward_list|unordered_map|"
        r"unordered_set|(?:i|o|io)stream)>|^\s*template\s*<|^[ \t]*(?:try|constexpr)\b|^[ \t]*catch\s*\(|"
        r"^[ \t]*(?:class|(?:using[ \t]+)?namespace)\s+\w+|^[ \t]*(?:private|public|protected):\s*$|"
        r"__has_cpp_attribute|__cplusplus\s*>|\bstd::\w+")
_CPP_DIRECTIVE = r"^\s*#\s*(?:include|define|undef|ifn?def|if|elif|endif|pragma)\b"
_PERL = (r"\buse\s+(?:strict\b|warnings\b|v?5\b)|^\s*use\s+(?:constant|overload|Test::\w+)\b|"
         r"^\s*(?:\*|(?:our\s*)?@)EXPORT\s*=|^\s*package\s+[^\W\d]\w*(?:::\w+)*\s*(?:[;{]|\sv?\d)|"
         r"[\s$][^\W\d]\w*(?::\w+)*->[a-zA-Z_\[({]")
_USE_V6 = r"^\s*use\s+v6\b"
_QMAKE = r"^\s*(?:TEMPLATE|TARGET|QT|CONFIG|SOURCES|HEADERS|SUBDIRS|FORMS|RESOURCES|INCLUDEPATH|DEFINES)\s*[-+*~]?="
_RULES: dict[str, tuple[tuple[str | None, tuple[str, ...]], ...]] = {
    ".h": (("Objective-C", (_OBJC,)), ("C++", (_CPP,)), ("C", ())),
    ".m": (("Objective-C", (_OBJC,)), ("Mercury", (r":- module",)), ("M", (r"^\s*;",)),
           ("Mathematica", (r"\(\*", r"\*\)$")),
           ("Matlab", (r"^\s*(?:%|function\b|clc\b|clear\b|close\s+all\b)",)), ("Objective-C", ())),
    ".t": (("Raku", (_USE_V6,)), ("Perl", (_PERL,)), ("Raku", (r"^\s*(?:\bmodule\b|\bmy\s+class\b)",)),
           ("Turing", (r"^\s*%[ \t]+|^\s*var\s+\w+(?:\s*:\s*\w+)?\s*:=\s*\w+",)),
           ("TADS 3", (r"^\s*#\s*(?:include\s*[<\"](?:adv3|tads|en_us)|charset\b)",)), (None, ())),
    ".pl": (("Raku", (_USE_V6,)), ("Perl", (r"^\s*(?:use\s+(?:strict|warnings)\b|my\s+[$@%]|sub\s+\w+\s*\{)",)),
            ("Prolog", (r"^[^#\n]*:-",)), ("Raku", (r"^\s*(?:\bmodule\b|\b(?:my\s+)?class\b)",)), ("Perl", ())),
    ".pm": (("Raku", (_USE_V6,)), ("Perl", (_PERL,)), ("Raku", (r"^\s*(?:\bmodule\b|\b(?:my\s+)?class\b)",)),
            ("X PixMap", (r"^\s*/\* XPM \*/",)), ("Perl", ())),
    ".inc": (("PHP", (r"^<\?(?:php)?",)), ("POVRay", (r"^\s*#(?:declare|local|macro|while)\s",)),
             ("Delphi", (r"(?i:^\s*\{\$(?:mode|ifdef|undef|define)[ ]+[a-z0-9_]+\})|^\s*end[.;]\s*$",)),
             ("BitBake", (r"^inherit(?:\s+[\w.-]+)+\s*$",)),
             ("NASM", (r"(?i)^[^\"m\n]*mov\s+[^\s]+,|^\s+(?i:db)\s+[a-z\d]|^\s*%(?:define|macro|ifn?def|include)\b",)),
             ("C++", (rf"{_CPP}|{_CPP_DIRECTIVE}|^\s*(?:static|extern|typedef|struct|union)\s+\w+",)),
             ("HTML", (r"(?i)^\s*<(?:!--|div|table|p|ul|ol|li|script|style|link|meta|a|span|form|tr|td)\b",)),
             (None, ())),
    ".pro": (("Proguard", (r"^-(?:include\b.*\.pro$|keep\b|keepclassmembers\b|keepattributes\b|dontwarn\b)",)),
             ("QMake", (_QMAKE,)), ("Prolog", (r"^[^\[#\n]+:-",)), ("INI", (r"last_client=",)),
             ("IDL", (r"^\s*(?i:function|pro|compile_opt) \w[ \w,:]*$",)), (None, ())),
    ".def": (("Singularity", (r"(?i)^\s*bootstrap\s*:\s*\S",)), ("Modula-2", (r"^\s*DEFINITION\s+MODULE\s+\w+",)),
             ("C++", (_CPP,)), ("C", (_CPP_DIRECTIVE,)), (None, ())),
    ".cls": (("TeX", (r"^\s*\\(?:NeedsTeXFormat|ProvidesClass)\{",)),
             ("Visual Basic 6.0", (r"^[ ]*VERSION [0-9]\.[0-9] CLASS",
                                   r"^\s*BEGIN(?:\r?\n|\r)\s*MultiUse\s*=.*(?:\r?\n|\r)\s*Persistable\s*=")),
             ("VBA", (r"^[ ]*VERSION [0-9]\.[0-9] CLASS",)), ("ObjectScript", (r"^Class\s",)),
             ("OpenEdge ABL", (r"(?i)^\s*(?:USING\s+[\w.*]+\s*\.\s*$|CLASS\s+[\w.]+[^{\n]*:\s*$)",)),
             ("Apex", (r"(?i)^\s*(?:@isTest\s+)?(?:public|private|global)\s+(?:\w+\s+)*class\s+\w+",)), (None, ())),
    ".ts": (("XML", (r"<TS\b",)), ("TypeScript", ())),
    ".v": (("Rocq Prover", (r"(?:^|\s)(?:Proof|Qed)\.(?:$|\s)|(?:^|\s)Require[ \t]+(?:Import|Export)\s",)),
           ("verilog", (r"^[ \t]*module\s+[^\s()]+\s*#?\s*\(|^[ \t]*`(?:define|ifdef|ifndef|include|timescale)|"
                        r"^[ \t]*always[ \t]*@|^[ \t]*initial[ \t]+(?:begin|@)|^[ \t]*endmodule\b",)),
           ("V", (r"\$(?:if|else)[ \t]|^[ \t]*fn\s+[^\s()]+\(.*?\).*?\{|^[ \t]*for\s*\{|^[ \t]*import\s+\w+\s*$",)),
           ("verilog", ())),
    ".m4": (("M4Sugar", (r"AC_DEFUN|AC_PREREQ|AC_INIT|^_?m4_",)), ("M4", ())),
}
CONTENT_RULES = {ext: tuple((lang, tuple(re.compile(p, re.M) for p in pats)) for lang, pats in rules)
                 for ext, rules in _RULES.items()}
# In the C family's shared extensions comments are left out first: prose in them ("... the
# namespace with <stddef.h>'s symbols", git's compat/obstack.h) is no C++; their lines stay lines.
C_COMMENTED = frozenset({".h", ".inc", ".def"})
_C_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)|//[^\n]*", re.S)


@functools.lru_cache(maxsize=4096)
def _language_for_pattern(name: str) -> str | None:
    from pygments.lexers import find_lexer_class_for_filename
    from pygments.util import ClassNotFound
    try:
        cls = find_lexer_class_for_filename(name)
    except ClassNotFound:
        return None
    return _RENAMED.get(cls.name, cls.name) if cls else None


@functools.lru_cache(maxsize=1)
def _name_patterns() -> re.Pattern:
    """Pygments' file name patterns that look at more than the extension: whole names (Makefile,
    CMakeLists.txt), prefixes (Makefile.*, Kconfig*), double extensions (*.html.j2, *.rs.in)."""
    import fnmatch

    from pygments.lexers import get_all_lexers
    patterns = {p for _, _, ps, _ in get_all_lexers() for p in ps
                if not (p.startswith("*.") and not set(p[2:]) & set("*."))}
    return re.compile("|".join(fnmatch.translate(p) for p in sorted(patterns)))


def language_of(path: str, text: str | None = None) -> str | None:
    """Language of a file from its name (Pygments' registry, LANGUAGE_OVERRIDES first) and, for an
    extension several languages share (`.h`, `.m`, `.t`, `.inc`: CONTENT_RULES), from its text's
    first HEURISTIC_CHARS characters (without text: that extension's default); None when no lexer
    claims it or no rule tells."""
    base = posixpath.basename(path.replace("\\", "/"))
    stem, dot, ext = base.rpartition(".")
    suffix = dot + ext if stem else ""
    if (rules := CONTENT_RULES.get(suffix)) is not None and base not in LANGUAGE_OVERRIDES:
        head = text[:HEURISTIC_CHARS] if text else ""
        if suffix in C_COMMENTED:
            head = _C_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), head)
        return next(lang for lang, patterns in rules if all(p.search(head) for p in patterns))
    if (lang := LANGUAGE_OVERRIDES.get(base) or LANGUAGE_OVERRIDES.get(suffix)) is not None:
        return lang
    # One lookup per extension (a tree has few), except for the names a pattern of Pygments
    # matches beyond their extension: those are looked up whole (one lookup per name).
    key = base if not (dot and stem) or _name_patterns().match(base) else f"x.{ext}"
    return _language_for_pattern(key)


# Interpreters of shebang lines that Pygments has no alias for (GitHub linguist's `interpreters`).
SHEBANG_INTERPRETERS = {"node": "javascript", "nodejs": "javascript", "deno": "typescript", "ts-node": "typescript",
                        "rscript": "r", "tclsh": "tcl", "wish": "tcl", "dash": "bash", "ash": "bash", "mksh": "bash",
                        "runhaskell": "haskell", "runghc": "haskell", "escript": "erlang",
                        "osascript": "applescript", "sbcl": "common-lisp", "clisp": "common-lisp", "guile": "scheme"}


def shebang_language(text: str) -> str | None:
    """Language of a script from its shebang line (`#!/bin/bash`, `#!/usr/bin/perl -w`,
    `#!/usr/bin/env -S python3 -u`), for a file whose name says nothing (`bin/run`); None when
    it has none or names no interpreter Pygments knows."""
    if not text.lstrip("\ufeff").startswith("#!"):
        return None
    words = text.lstrip("\ufeff")[2:].split("\n", 1)[0].split()
    if words and posixpath.basename(words[0]) == "env":
        # env's options (-S, -i) and variable settings (LC_ALL=C) come before the program
        words = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
    if not words:
        return None
    program = posixpath.basename(words[0]).lower()
    return language_named(SHEBANG_INTERPRETERS.get(program, program))
