"""The licence a repository's licence file (LICENSE, COPYING, ...) states, as an SPDX id.

A licence text is known by sentences only it has (its title with its date, its grant, the notice
its appendix tells users to copy), searched in the file's words: lower case, every run of other
characters one space, so line wrapping, comment leaders, Markdown emphasis and quotes do not matter.
A file holding several licences is "MIT OR GPL-3.0" when it offers two as a choice ("dual
licensed", "licensed under either of", before the second licence text and inside none: a GNU
notice or Apache's "Licensed under ..." line is a statement, not a text); otherwise it is the
licence whose text starts it (an Apache LICENSE with its bundled libraries' notices appended, as
Arrow's, is Apache-2.0: the notices are the bundled code's), None when none does. A variant that adds to a
text (BSD's third and fourth clause, X11's and Khronos' clauses on MIT, curl's on ISC, the
LGPL-3.0's permissions on the GPL-3.0) is named as the variant, not as both. None when unsure: a
README's "released under the MIT License" names a licence without being its text. Ids are GitHub's
licence API's (GPL-3.0, not GPL-3.0-only: the text does not say whether "or later" applies), SPDX's
for licences that API does not name (PSF-2.0, Python-2.0 for CPython's whole LICENSE, curl,
MIT-Khronos-old).

A licence file that names no licence and points at another licence file ("See the LICENSE file
in the repository root", Sphinx's `.. literalinclude:: ../LICENSE.txt` in docs/license.rst) is no
licence of its folder: the lookup goes on up the tree, as for a folder without one. Only a short
pointer that names a file: any other text naming no licence stays the folder's, None, never
replaced by its parent's: a custom licence, a proprietary notice ("All rights reserved ... except
as permitted in the Acme Commercial License", "under the terms set out in your license", "not
covered by the project licence; see the LICENSE file of the upstream SDK").

`licence_id_of_name` gives the SPDX id of a licence's name as rows carry it: GitHub's licence
API's names ("GNU General Public License v3.0", 'BSD 3-Clause "New" or "Revised" License') and
ScanCode's keys (`bsd-new`, `proprietary-license`, as The Stack v2's detected licences).

Hand-written: ScanCode's detector is hundreds of MB of rules and seconds a file; askalono (Rust)
and licensee (Ruby) are not Python; the licences that decide a permissive keep-list are a few
dozen sentences, and the names rows give them a table of a few dozen (license-expression's
ScanCode database would be a dependency of its own for it).
"""
from __future__ import annotations

import functools
import os
import re

from pipeline import storage
from pipeline.readers.base import memoized
from pipeline.readers.guarded import open_input

# A licence file's name, in any case: LICENSE, LICENCE, COPYING, UNLICENSE, alone or with a
# suffix (`LICENSE.txt`, `LICENSE-MIT`, `COPYING.LESSER`, `LICENSE.APACHE2`); `licenses`,
# `licensing.md`, README are not.
LICENCE_FILE = re.compile(r"(?i)^((un)?licen[cs]e|copying)([-._].+)?$")
# After a licence's name (`MIT-LICENSE`, Rails'); the name is checked (`check-license` is a script).
_AFTER_NAME = re.compile(r"(?i)^(?P<x>.+?)[-_]licen[cs]e(\.\w+)?$")
# The licence the name names, one per licence of a dual licence (the Rust API guidelines' layout:
# `LICENSE-MIT` and `LICENSE-APACHE`): `LICENSE-MIT`, `LICENSE.APACHE2`, `LICENSE-MIT.txt`.
_SUFFIX_NAME = re.compile(r"(?i)^licen[cs]e[-._](?P<x>.+?)(\.(txt|md|markdown|rst))?$")
# COPYING.LESSER / COPYING.LIB beside COPYING (GNU's layout): the LGPL, which adds permissions to
# the GPL that COPYING holds.
_LESSER = re.compile(r"(?i)^(copying|licen[cs]e)[-._](lesser|lib|lgpl)")
# Other code's or the documentation's licences, not the folder's: LICENSE-THIRD-PARTY,
# THIRD_PARTY_LICENSE, LICENSE-3rdparty, LICENSE-docs.
_OTHERS = re.compile(r"(?i)third|3rd|doc")
_TEXT_SUFFIXES = {"txt", "md", "markdown", "rst"}
# Where the text of the licence a file is starts (normalised characters: a title, copyright lines).
HEAD_CHARS = 1500
# Longer than any licence text with its copyright lines (GPL-3.0: 35 KB): a bundle of notices.
MAX_LICENCE_CHARS = 200_000

_BSD = r"redistribution and use in source and binary forms with or without modification are permitted"
_ISC = (r"permission to use copy modify and( or)? distribute this software for any purpose with or without fee is "
        r"hereby granted")
# MIT's grant and its one condition, whatever the licensed thing is called: "this software and
# associated documentation files (the "Software")", Khronos' "this software and/or associated
# documentation files (the "Materials")", "the above copyright notice(s)".
_MIT_GRANT = (r"permission is hereby granted free of charge to any person obtaining a copy of( \w+){1,16}? to deal "
              r"in the \w+ without restriction")
_MIT_CONDITION = (r"the above copyright notices?( s)? and this permission notice( including the next paragraph)? shall "
                  r"be included in all copies or substantial portions of the \w+")
_PSF = r"this license agreement is between the python software foundation psf and the individual or organization"
# Licence texts: (SPDX id, sentences that must all be there); an id may have several rules.
_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("Apache-2.0", (r"apache license version 2 0 january 2004",)),
    ("MIT", (_MIT_GRANT, _MIT_CONDITION)),
    ("MIT-Khronos-old", (_MIT_GRANT, _MIT_CONDITION,
                         r"modifications to this file may mean it no longer accurately reflects khronos standards")),
    ("MIT-0", (r"permission is hereby granted free of charge to any person obtaining a copy of this software",
               r"to permit persons to whom the software is furnished to do so the software is provided as is")),
    ("X11", (r"except as contained in this notice the name of the x consortium shall not be used",)),
    ("NCSA", (r"to deal with the software without restriction",
              r"this list of conditions and the following disclaimers")),
    ("BSD-2-Clause", (_BSD,)),
    ("BSD-3-Clause", (_BSD, r"may (not )?be used to endorse or promote products derived from this software")),
    ("BSD-4-Clause", (_BSD, r"all advertising materials mentioning features or use of this software must display")),
    ("BSD-3-Clause-Clear", (_BSD, r"no express or implied licenses to any party s patent rights are granted")),
    ("BSD-2-Clause-Patent", (_BSD, r"hereby grants to those receiving rights under this license a perpetual")),
    ("ISC", (_ISC + r" provided that the above copyright notice and this permission notice appear in all copies",)),
    ("curl", (_ISC + r" provided that the above copyright notice and this permission notice appear in all copies",
              r"except as contained in this notice the name of a copyright holder shall not be used in advertising")),
    ("0BSD", (_ISC + r" the software is provided as is",)),
    ("MPL-2.0", (r"mozilla public license version 2 0",)),
    ("EPL-1.0", (r"eclipse public license v(ersion)? 1 0",)),
    ("EPL-2.0", (r"eclipse public license v(ersion)? 2 0",)),
    ("Unlicense", (r"this is free and unencumbered software released into the public domain",)),
    ("CC0-1.0", (r"cc0 1 0 universal", r"statement of purpose")),
    ("CC-BY-4.0", (r"creative commons attribution 4 0 international public license",)),
    ("CC-BY-SA-4.0", (r"creative commons attribution sharealike 4 0 international public license",)),
    ("Zlib", (r"permission is granted to anyone to use this software for any purpose including commercial "
              r"applications and to alter it and redistribute it freely",)),
    ("BSL-1.0", (r"boost software license version 1 0 august 17th 2003",)),
    ("BSL-1.0", (r"permission is hereby granted free of charge to any person or organization obtaining a copy of the "
                 r"software and accompanying documentation covered by this license",)),
    ("WTFPL", (r"do what the fuck you want to public license",)),
    ("ECL-2.0", (r"educational community license version 2 0 april 2007",)),
    ("UPL-1.0", (r"the universal permissive license upl version 1 0",)),
    ("MS-PL", (r"microsoft public license ms pl",)),
    ("EUPL-1.1", (r"european union public licence v 1 1",)),
    ("EUPL-1.2", (r"european union public licence v 1 2",)),
    ("PSF-2.0", (_PSF,)),
    # CPython's LICENSE: the PSF's agreement above BeOpen's, CNRI's and CWI's (and a 0BSD for the
    # code in its documentation), after a history of the software
    ("Python-2.0", (_PSF, r"this license agreement is between beopen com beopen",
                    r"this license agreement is between the corporation for national research initiatives")),
]
# Notices: the line a licensed file or README carries, a statement that a licence applies, not its
# text (as the GNU notices below); they name the licence of a file that has no text.
_NOTICES = [("Apache-2.0", r"licensed under the apache license version 2 0"),
            ("MPL-2.0", r"subject to the terms of the mozilla public license v 2 0"),
            ("CC0-1.0", r"has waived all copyright and related or neighboring rights to")]
# Headings a text's first sentence comes after, part of the text: CPython's LICENSE opens with the
# software's history and its terms, which say its documentation's code is "dual licensed" under the
# PSF's licence and the 0BSD, before the PSF's agreement.
_OPENINGS = {"Python-2.0": r"a history of the software python was created|terms and conditions for accessing or "
                           r"otherwise using python"}
OPENING_CHARS = 4000
# A variant names its base's text too: the variant is the licence.
_REFINES = {"X11": {"MIT"}, "BSD-3-Clause": {"BSD-2-Clause"}, "BSD-4-Clause": {"BSD-2-Clause", "BSD-3-Clause"},
            "BSD-3-Clause-Clear": {"BSD-2-Clause", "BSD-3-Clause"}, "BSD-2-Clause-Patent": {"BSD-2-Clause"},
            "LGPL-3.0": {"GPL-3.0"},          # LGPL-3.0 is additional permissions on GPL-3.0's text
            "MIT-Khronos-old": {"MIT"}, "curl": {"ISC"}, "Python-2.0": {"PSF-2.0", "0BSD"}}
# The GNU licences by their titles (with the date: a title the text of another one cites has none)
# and by the notice their appendix gives ("under the terms of the GNU General Public License as
# published by the Free Software Foundation; either version 2 of the License"), in its usual
# rewordings: "under the terms of version 2 of the GNU General Public License as published by ...",
# "the GNU General Public License, version 2.0, as published by ...", "the GNU General Public
# Licence, either version 2, or ..." after "This program is free software". A notice without "as
# published by the Free Software Foundation" counts only after "is free software": "Distributed under
# the GNU General Public License, version 2.0." names a licence, as a README does.
_GNU = {("general", "2"): "GPL-2.0", ("general", "3"): "GPL-3.0", ("library general", "2"): "LGPL-2.0",
        ("lesser general", "2 1"): "LGPL-2.1", ("lesser general", "3"): "LGPL-3.0",
        ("affero general", "3"): "AGPL-3.0"}
_FAMILY = r"(?P<family>general|lesser general|library general|affero general)"
_GNU_TITLE = re.compile(rf"\bgnu {_FAMILY} public license version (?P<version>\d( \d)?) "
                        r"(june 1991|february 1999|29 june 2007|19 november 2007)\b")
_VERSION = r"(version |v)(?P<{}>\d( \d)?)"
_GNU_NOTICE = re.compile(rf"\bunder the terms of ({_VERSION.format('before')} of )?the gnu {_FAMILY} public licen[cs]e "
                         rf"({_VERSION.format('only')} )?(?P<fsf>as published by the free software foundation )?"
                         rf"(either )?({_VERSION.format('version')}\b)?")
_FREE_SOFTWARE = re.compile(r"\bis free software\b")
# What a file holding two licences says when either may be chosen ("dual licensed", "licensed
# under either of", "you may choose either"); never "at your option" alone, which GPL-3.0 says of
# later versions and of removing additional permissions.
_DUAL = re.compile(r"\bdual licen[cs](ed|ing)\b|\b(licen[cs]ed|available|use it|distributed) under (the terms of )?"
                   r"either\b|\bchoose (to use it under )?either\b")
_COMPILED = [(spdx, tuple(re.compile(rf"\b{s}\b") for s in sentences)) for spdx, sentences in _RULES]
_COMPILED_NOTICES = [(spdx, re.compile(rf"\b{s}\b")) for spdx, s in _NOTICES]
_COMPILED_OPENINGS = {spdx: re.compile(rf"\b({s})\b") for spdx, s in _OPENINGS.items()}
# A licence file that only points at another one: short, and naming a file to see or include
# ("see the LICENSE file in the repository root", ".. literalinclude:: ../LICENSE.txt",
# "[LICENSE](../LICENSE)"). Longer texts are licences of their own, known or not.
POINTER_MAX_CHARS = 1000
# A file is named by a path up the tree, an include directive, a licence file's name with "file"
# or an extension ("the LICENSE file", "the file COPYING", "LICENSE.txt"), an all-capitals one
# after "see" ("See LICENSE."), or the repository's root; "the Acme Commercial License." or "your
# license." names a licence, not a file, and "the terms in the LICENSE agreement" no file either.
_LICENCE_NAME = r"(licen[cs]e|copying)([-_]\w+)*"
_POINTER = re.compile(rf"(?i)\.\./|\binclude::|\bliteralinclude\b|\b{_LICENCE_NAME}[\"'`\]]?\s+file\b"
                      rf"|\bfile\s+[\"'`]?{_LICENCE_NAME}\b|\b{_LICENCE_NAME}\.(txt|md|markdown|rst|html?)\b"
                      r"|\bsee\s+[\"'`\[]?(?-i:LICEN[CS]E|COPYING)\b"
                      r"|\broot of (this|the) (repository|repo|project)\b")
# Words of a text that restricts use, whatever file it names: never a pointer to a parent's licence.
_RESTRICTIVE = re.compile(r"\b(all rights reserved|proprietary|prohibited|not covered|commercial|confidential)\b")


@functools.lru_cache(maxsize=4096)
def is_licence_file(name: str) -> bool:
    """A licence file by its name (no folder): LICENSE, LICENCE, COPYING, UNLICENSE, alone, with a
    suffix or after a licence's name (LICENSE.txt, LICENSE-MIT, COPYING.LESSER, MIT-LICENSE); not
    one of other code's or the documentation's licences (LICENSE-THIRD-PARTY, LICENSE-docs), nor
    code or data (`license.js`, `license.json`: an extension other than .txt, .md, .markdown, .rst
    that Pygments names a language for)."""
    after = _AFTER_NAME.match(name)
    if _OTHERS.search(name) or not (LICENCE_FILE.match(name) or after and _family(after["x"]) in _FAMILIES):
        return False
    ext = name.rsplit(".", 1)[1].lower() if "." in name else ""
    if not ext or ext in _TEXT_SUFFIXES:
        return True
    from pygments.lexers import find_lexer_class_for_filename
    return find_lexer_class_for_filename(name) is None


def _family(name: str) -> str:
    """A licence's name's first letters, as a file name writes it (`APACHE2`, `GPLv3`) and as its
    SPDX id does (`Apache-2.0`, `GPL-3.0`): `apache`, `gpl`."""
    m = re.search(r"[a-z]+", name.lower())
    return m.group().removesuffix("v") if m else ""


_FAMILIES = {_family(spdx) for spdx, _ in _RULES} | {_family(spdx) for spdx in _GNU.values()}


def named_licence(name: str) -> str | None:
    """The licence a licence file's name names (`LICENSE-MIT`, `MIT-LICENSE`: `MIT`), None when
    it names none (LICENSE, LICENSE.txt, COPYING.LESSER)."""
    m = _SUFFIX_NAME.match(name) or _AFTER_NAME.match(name)
    return m["x"] if m and m["x"].lower() not in _TEXT_SUFFIXES and not _LESSER.match(name) else None


def words(text: str) -> str:
    """The text's words, lower case, one space apart."""
    return " ".join(re.findall(r"[0-9a-z]+", text.lower()))


def is_pointer(text: str) -> bool:
    """A licence file's text that names no licence but refers to another licence file: the
    lookup goes on to the parent folder (see the module's docstring). A text that reserves rights
    ("all rights reserved", "proprietary", "prohibited", "not covered", "commercial",
    "confidential") is none: its folder's files are not the parent's licence's."""
    return len(text.strip()) <= POINTER_MAX_CHARS and bool(_POINTER.search(text)) \
        and not _RESTRICTIVE.search(words(text))


def licence_of_text(text: str) -> str | None:
    """The SPDX id of the licence a licence file's text is ("MIT", "Apache-2.0", "MIT OR GPL-3.0"
    for a file saying it is dual), None when it is none of the known texts, or several not offered
    as a choice, or longer than any licence text (MAX_LICENCE_CHARS)."""
    if len(text) > MAX_LICENCE_CHARS:
        return None
    w = words(text)
    found: dict[str, int] = {}                # id -> where it is first named, for the order of a dual
    spans: dict[str, tuple[int, int]] = {}    # id -> where its text is (a notice has none)
    for spdx, sentences in _COMPILED:
        hits = [s.search(w) for s in sentences]
        if all(hits) and spdx not in spans:
            start = min(h.start() for h in hits)
            if (opening := _COMPILED_OPENINGS.get(spdx)) and (o := opening.search(w, max(0, start - OPENING_CHARS),
                                                                                  start)):
                start = o.start()
            spans[spdx] = (start, max(h.end() for h in hits))
            found.setdefault(spdx, start)
    for spdx, notice in _COMPILED_NOTICES:
        if m := notice.search(w):
            found.setdefault(spdx, m.start())
    for pattern in (_GNU_TITLE, _GNU_NOTICE):
        for m in pattern.finditer(w):
            if pattern is _GNU_NOTICE and not (m["fsf"] or _FREE_SOFTWARE.search(w, max(0, m.start() - 200),
                                                                               m.start())):
                continue
            version = next((v for k in ("before", "only", "version") if (v := m.groupdict().get(k))), "")
            spdx = _GNU.get((m["family"], version.removesuffix(" 0")))     # "version 2.0" is version 2
            if spdx:
                found.setdefault(spdx, m.start())
                if pattern is _GNU_TITLE:
                    spans.setdefault(spdx, m.span())
    for variant, bases in _REFINES.items():
        if variant in found:
            for base in bases:
                found.pop(base, None)
                if base in spans and variant in spans:  # one text: the variant's spans its base's
                    base_span, own = spans.pop(base), spans[variant]
                    spans[variant] = (min(base_span[0], own[0]), max(base_span[1], own[1]))
    ids = sorted(found, key=found.get)
    if len(ids) == 1:
        return ids[0]
    if not ids:
        return None
    # a choice is offered before the texts it offers, as a statement of its own: "dual licensed"
    # after the second text is a bundled library's (Arrow's LICENSE.txt names one 95,000 characters
    # in), and inside a text a copied text's (CPython's LICENSE, after a project's own, says its
    # documentation's code is dual licensed). A notice ("This program is free software ... GNU
    # General Public License ...", "Licensed under the Apache License, Version 2.0") is no text:
    # "dual licensed: you may instead use it under the MIT license below" after a GNU notice offers both.
    texts = sorted(spans[i] for i in ids if i in spans)
    second = texts[1][0] if len(texts) > 1 else len(w)
    if any(dual.start() < second and not any(a <= dual.start() < b for a, b in texts) for dual in _DUAL.finditer(w)):
        return " OR ".join(ids) if len(ids) == 2 else None
    return ids[0] if found[ids[0]] < HEAD_CHARS else None


# Folders whose licence a reading keeps (ReadState.memo): a listing is sorted, a folder's files come together.
MAX_CACHED_FOLDERS = 4096
_NO_FILE = object()                      # a folder without a licence file: its parent decides


def _cached(cache: dict, key, make):
    return memoized(cache, key, make, MAX_CACHED_FOLDERS)


def folder_licence(folder: str, top: str, memo: dict) -> str | None:
    """The licence of the files of `folder` (local and absolute, or a URL): that of the nearest
    folder from it up to `top` (the repository's or the listed tree's folder, at or above it) which
    holds a licence file; None when none does, or the nearest one's files name no licence or
    disagree (LICENSE MIT beside COPYING GPL-3.0; see _own_licence). Each folder is looked at once
    per reading, kept in `memo` (ReadState.memo): the answer depends only on the folders' files,
    never on what else the reading read."""
    cache: dict = memo.setdefault("code_licences", {})

    def of(at: str) -> str | None:
        own = _own_licence(at)
        if own is not _NO_FILE:
            return own
        parent = at.rsplit("/", 1)[0] if "://" in at else os.path.dirname(at)
        if at == top or parent == at or len(parent) < len(top):
            return None
        return _cached(cache, (top, parent), lambda: of(parent))

    return _cached(cache, (top, folder), lambda: of(folder))


def _own_licence(folder: str):
    """The licence the licence files at the top of `folder` agree on, _NO_FILE when it has none
    but pointers to another licence file (is_pointer).
    Files that disagree are one licence in two layouts: one file per licence of a dual licence,
    each named by its licence (`LICENSE-MIT`, `LICENSE-APACHE`: "Apache-2.0 OR MIT"), and GNU's
    COPYING (GPL) with COPYING.LESSER or COPYING.LIB (the LGPL: that one's licence); None
    otherwise, or when one names none (an unreadable one too). A folder named LICENSE is no file."""
    try:
        names = [n for n in storage.names(folder) if is_licence_file(n)]
    except OSError:
        return _NO_FILE
    licences: dict[str, str | None] = {}
    for name in names:
        p = f"{folder}/{name}" if "://" in folder else os.path.join(folder, name)
        try:
            with open_input(p) as f:            # the readers' guard: a failing store stops the read
                data = f.read(MAX_LICENCE_CHARS * 4 + 1)
        except (IsADirectoryError, FileNotFoundError):
            continue                            # a folder named LICENSE (an object store lists no such file)
        except OSError:
            licences[name] = None
            continue
        text = data.decode("utf-8", "replace")
        licence = licence_of_text(text)
        if licence is None and is_pointer(text):
            continue                            # "see the LICENSE file in the repository root": the parent's
        licences[name] = licence
    if not licences:
        return _NO_FILE
    ids = list(dict.fromkeys(licences.values()))
    if len(ids) == 1 or None in ids:
        return ids[0] if len(ids) == 1 else None
    if all((x := named_licence(n)) and _family(x) in {_family(i) for i in lic.split(" OR ")}
           for n, lic in licences.items()):
        return " OR ".join(ids)
    lesser = {lic for n, lic in licences.items() if _LESSER.match(n)}
    rest = {lic for n, lic in licences.items() if not _LESSER.match(n)}
    if len(lesser) == 1 and (lgpl := lesser.pop()).startswith("LGPL") and all(i.startswith("GPL") for i in rest):
        return lgpl
    return None


# GitHub's licence API names (choosealicense.com's titles, SPDX's full names) and ScanCode's keys,
# by their words (`words`), against their SPDX ids; the GNU licences' names are made below.
_NAMES = {
    "MIT": ["MIT License", "Expat License"], "MIT-0": ["MIT No Attribution"],
    "Apache-2.0": ["Apache License 2.0", "Apache License, Version 2.0", "Apache Software License 2.0"],
    "BSD-1-Clause": ["BSD 1-Clause License"],
    "BSD-2-Clause": ['BSD 2-Clause "Simplified" License', "BSD 2-Clause License", "Simplified BSD License",
                     "bsd-simplified"],
    "BSD-3-Clause": ['BSD 3-Clause "New" or "Revised" License', "BSD 3-Clause License", "New BSD License",
                     "Modified BSD License", "bsd-new"],
    "BSD-3-Clause-Clear": ["BSD 3-Clause Clear License", "bsd-3-clause-clear"],
    "BSD-4-Clause": ['BSD 4-Clause "Original" or "Old" License', "bsd-original"],
    "BSD-2-Clause-Patent": ["BSD 2-Clause Plus Patent License", "BSD-2-Clause Plus Patent License"],
    "0BSD": ["BSD Zero Clause License", "Zero-Clause BSD", "bsd-zero"],
    "BSL-1.0": ["Boost Software License 1.0", "boost-1.0"], "ISC": ["ISC License"], "Zlib": ["zlib License"],
    "CC0-1.0": ["Creative Commons Zero v1.0 Universal", "Creative Commons Zero 1.0"],
    "CC-BY-4.0": ["Creative Commons Attribution 4.0 International", "cc-by-4.0"],
    "CC-BY-SA-4.0": ["Creative Commons Attribution Share Alike 4.0 International", "cc-by-sa-4.0"],
    "Unlicense": ["The Unlicense"], "WTFPL": ["Do What The F*ck You Want To Public License", "wtfpl-2.0"],
    "MPL-2.0": ["Mozilla Public License 2.0"], "EPL-1.0": ["Eclipse Public License 1.0"],
    "EPL-2.0": ["Eclipse Public License 2.0"], "EUPL-1.1": ["European Union Public License 1.1"],
    "EUPL-1.2": ["European Union Public License 1.2"], "ECL-2.0": ["Educational Community License v2.0"],
    "AFL-3.0": ["Academic Free License v3.0"], "Artistic-2.0": ["Artistic License 2.0"],
    "OSL-3.0": ["Open Software License 3.0"], "MS-PL": ["Microsoft Public License"],
    "MS-RL": ["Microsoft Reciprocal License"], "UPL-1.0": ["Universal Permissive License v1.0"],
    "NCSA": ["University of Illinois/NCSA Open Source License", "uoi-ncsa"],
    "PostgreSQL": ["PostgreSQL License"], "OFL-1.1": ["SIL Open Font License 1.1"],
    "LPPL-1.3c": ["LaTeX Project Public License v1.3c"], "Vim": ["Vim License"],
    "BlueOak-1.0.0": ["Blue Oak Model License 1.0.0"], "PSF-2.0": ["Python Software Foundation License 2.0"],
    "Python-2.0": ["Python License 2.0", "python"],
    # ScanCode's keys of licences SPDX has no id for: its LicenseRef ids
    "LicenseRef-scancode-proprietary-license": ["proprietary-license"],
    "LicenseRef-scancode-commercial-license": ["commercial-license"],
    "LicenseRef-scancode-public-domain": ["public-domain"],
}
_GNU_NAMES = {"GPL": ("GNU General Public License", ["2.0", "3.0"]),
              "LGPL": ("GNU Lesser General Public License", ["2.1", "3.0"]),
              "LGPL-2.0": ("GNU Library General Public License", ["2"]),
              "AGPL": ("GNU Affero General Public License", ["3.0"])}
_NAME_IDS = {words(name): spdx for spdx, names in _NAMES.items() for name in names}
for _id, (_title, _versions) in _GNU_NAMES.items():
    for _v in _versions:
        _base = _id if "-" in _id else f"{_id}-{_v}"
        _NAME_IDS.update({words(f"{_title} v{_v}"): _base, words(f"{_title} v{_v} only"): f"{_base}-only",
                          words(f"{_title} v{_v} or later"): f"{_base}-or-later",
                          words(f"{_base}-plus"): f"{_base}-or-later"})          # ScanCode's `gpl-2.0-plus`


def licence_id_of_name(name: str) -> str | None:
    """The SPDX id of a licence's name as GitHub's licence API ("GNU General Public License v3.0",
    'BSD 3-Clause "New" or "Revised" License') or ScanCode (`bsd-new`, `gpl-2.0-plus`,
    `proprietary-license`) write it, in any case; None for any other string (an SPDX id is none)."""
    return _NAME_IDS.get(words(name))
