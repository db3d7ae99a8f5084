"""code_filter: licences as SPDX expressions, licence files' full texts, generated-file markers,
files of no known language."""
import gzip
from pathlib import Path

import pytest

from pipeline.documents import documents_table
from pipeline.readers.code_licences import is_licence_file, licence_of_text
from stages.code_filter import CodeFilter, is_permissive, parse_license, PERMISSIVE

LICENCES = Path(__file__).parent / "data" / "licences"     # real licence files: see its README.md

CODE = "int f(void) { return 1; }\n"


def _judge(files: dict[str, tuple[str, dict]], **opts):
    """{name: (text, metadata)} -> {name: (reason, code_license)}."""
    table = documents_table([{"id": k, "source": "code", "text": t, "metadata": {"path": k, "language": "C", **m}}
                             for k, (t, m) in files.items()])
    j = CodeFilter(**opts).judge(table)
    return dict(zip(files, zip(j.reasons, j.signals["code_license"].to_pylist())))


def test_an_spdx_exception_only_adds_permissions():
    """`X WITH exception` is X: LLVM's Apache-2.0 WITH LLVM-exception was removed as not permissive."""
    got = _judge({
        "llvm.cpp": ("// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception\n" + CODE, {}),
        "classpath.java": ("// SPDX-License-Identifier: GPL-2.0-only WITH Classpath-exception-2.0\n" + CODE, {}),
        "either.c": ("/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */\n" + CODE, {}),
    })
    assert got == {"llvm.cpp": (None, "Apache-2.0 WITH LLVM-exception"),
                   "classpath.java": ("license_not_permissive", "GPL-2.0-only WITH Classpath-exception-2.0"),
                   "either.c": (None, "(GPL-2.0 WITH Linux-syscall-note) OR MIT")}


def test_a_rows_licence_string_is_an_spdx_expression_and_a_list_is_any_of_its_licences():
    """"MIT OR GPL-2.0" in a row's licence field was read as MIT AND GPL-2.0 and removed."""
    got = _judge({
        "or.c": (CODE, {"license": "MIT OR GPL-2.0"}),
        "and.c": (CODE, {"license": "MIT AND GPL-2.0"}),
        "nested.c": (CODE, {"license": "(MIT OR Apache-2.0) AND GPL-3.0"}),
        "nested_ok.c": (CODE, {"license": "(GPL-3.0 OR Apache-2.0) AND BSD-3-Clause"}),
        "text.c": (CODE, {"license": "MIT (see the file header)"}),
        "list.c": (CODE, {"license": ["GPL-2.0", "MIT"]}),
        "gpl_list.c": (CODE, {"license": ["GPL-3.0"]}),
    })
    assert got == {"or.c": (None, "MIT OR GPL-2.0"), "and.c": ("license_not_permissive", "MIT AND GPL-2.0"),
                   "nested.c": ("license_not_permissive", "(MIT OR Apache-2.0) AND GPL-3.0"),
                   "nested_ok.c": (None, "(GPL-3.0 OR Apache-2.0) AND BSD-3-Clause"),
                   "text.c": (None, "MIT"), "list.c": (None, "GPL-2.0 OR MIT"),
                   "gpl_list.c": ("license_not_permissive", "GPL-3.0")}


def test_licence_ids_compare_case_insensitively():
    """GitHub's API keys are lower case: `mit` was no licence at all (license_unknown under remove)."""
    files = {"mit.c": (CODE, {"license": "mit"}), "apache.c": (CODE, {"license": ["apache-2.0"]}),
             "bsd.c": (CODE, {"license": "bsd-3-clause"}), "gpl.c": (CODE, {"license": "gpl-3.0"}),
             "tag.c": ("// SPDX-License-Identifier: mit\n" + CODE, {})}
    got = _judge(files, unknown_license="remove")
    assert got == {"mit.c": (None, "MIT"), "apache.c": (None, "Apache-2.0"), "bsd.c": (None, "BSD-3-Clause"),
                   "gpl.c": ("license_not_permissive", "gpl-3.0"), "tag.c": (None, "mit")}
    assert is_permissive("Apache-2.0+", PERMISSIVE) and not is_permissive("LicenseRef-Proprietary", PERMISSIVE)


def test_the_asf_header_is_apache_2():
    asf = ("/*\n * Licensed to the Apache Software Foundation (ASF) under one\n"
           " * or more contributor license agreements.  See the NOTICE file\n"
           " * distributed with this work for additional information\n"
           " * regarding copyright ownership.  The ASF licenses this file\n"
           " * to you under the Apache License, Version 2.0 (the\n"
           " * \"License\"); you may not use this file except in compliance\n"
           " * with the License.\n */\npackage org.apache.x;\n")
    first_only = ("# Licensed to the Apache Software Foundation (ASF) under one or more contributor license\n"
                  "# ...\nx = 1\n")
    got = _judge({"A.java": (asf, {"license": "GPL-3.0"}), "a.py": (first_only, {})}, unknown_license="remove")
    assert got == {"A.java": (None, "Apache-2.0"), "a.py": (None, "Apache-2.0")}


def test_spdx_expressions_parse_by_precedence_and_free_text_keeps_its_licences():
    assert parse_license("MIT OR Apache-2.0 AND GPL-3.0") == ("OR", ("MIT", ("AND", ("Apache-2.0", "GPL-3.0"))))
    assert parse_license("(MIT OR Apache-2.0) AND GPL-3.0") == ("AND", (("OR", ("MIT", "Apache-2.0")), "GPL-3.0"))
    assert parse_license("GPL-2.0 WITH Classpath-exception-2.0") == "GPL-2.0"
    assert parse_license("mit or apache-2.0") == ("OR", ("mit", "apache-2.0"))
    known = {"MIT", "GPL-2.0"}.__contains__
    assert parse_license("GPL-2.0 or later", known) == "GPL-2.0"
    assert parse_license("dual: MIT and GPL-2.0 (see COPYING", known) == ("AND", ("MIT", "GPL-2.0"))
    assert parse_license("see the README", known) is None and parse_license("AND OR ( )") is None


def test_generated_markers_mean_a_generated_file_not_prose():
    """"generated by" fired on docstrings ("the syntax tree generated by the parser"); Go's
    "Code generated ... DO NOT EDIT." below a licence header was missed (line 8-15 in Kubernetes)."""
    licence = "".join(f"// line {i} of the Apache-2.0 licence header\n" for i in range(14))
    files = {
        "walk.py": ('"""Walk the syntax tree generated by the parser."""\nimport ast\nx = 1\n', {}),
        "oauth.js": ("// Validates tokens generated by the OAuth server.\nexport const v = 1;\n", {}),
        "codes.py": ("# Error code generated by the server on a timeout\nTIMEOUT = 504\n", {}),
        "zz_generated.go": (licence + "\n// Code generated by client-gen. DO NOT EDIT.\n\npackage v1\n", {}),
        "msg_pb2.py": ("# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\n"
                       "# source: msg.proto\nx = 1\n", {}),
        "Relay.js": ("/**\n" + " * Copyright (c) Meta Platforms, Inc.\n" * 8 + " *\n * @generated SignedSource<<ab>>\n"
                     " */\nmodule.exports = {};\n", {}),
        "ext.c": ("/* Generated by Cython 3.0.10 */\n\n#include <Python.h>\n", {}),
        "auto.h": ("// This file is auto-generated from schema.json\nint f();\n", {}),
        "mocks.go": (licence + "// Code generated by MockGen. DO NOT EDIT.\npackage m\n", {}),
    }
    reasons = {k: r for k, (r, _) in _judge(files).items()}
    assert reasons == {"walk.py": None, "oauth.js": None, "codes.py": None, "zz_generated.go": "auto_generated",
                       "msg_pb2.py": "auto_generated", "Relay.js": "auto_generated", "ext.c": "auto_generated",
                       "auto.h": "auto_generated", "mocks.go": "auto_generated"}
    # the banners' reach is an option: within 5 lines, the Kubernetes banner is not seen
    assert _judge(files, generated_banner_lines=5)["zz_generated.go"][0] is None


def test_files_of_no_known_language_are_removed_by_option():
    files = {"bin/run": (CODE, {"language": None}), "notes": (CODE, {"language": ""}), "a.c": (CODE, {})}
    assert [r for r, _ in _judge(files).values()] == [None, None, None]
    strict = _judge(files, unknown_language="remove")
    assert [r for r, _ in strict.values()] == ["unknown_language", "unknown_language", None]


def licence_file(name: str) -> str:
    data = (LICENCES / name).read_bytes()
    return (gzip.decompress(data) if name.endswith(".gz") else data).decode("utf-8")


# The texts GitHub's licence picker writes (choosealicense.com), each named by its SPDX id, and
# real repositories' licence files.
REAL_FILES = {"c-w__gutenberg__LICENSE.txt": "Apache-2.0", "google__gson__gson__LICENSE": "Apache-2.0",
              "google__uuid__LICENSE": "BSD-3-Clause", "scipy__scipy-articles__LICENSE": "BSD-3-Clause",
              "spencermountain__wtf_wikipedia__LICENSE.md": "MIT",
              "DaveGamble__cJSON__tests__unity__docs__license.txt": "MIT",
              "piskvorky__gensim__COPYING.gz": "LGPL-2.1",
              "lodash__lodash__LICENSE": "MIT",                       # names CC0 for its samples by URL only
              "Stuk__jszip__LICENSE.markdown.gz": "MIT OR GPL-3.0",   # "dual licensed. At your choice ..."
              # Apache-2.0 with its bundled code's notices (BSD, MIT, BSL, Zlib, "dual licensed" WTFPL/MIT)
              "apache__arrow__LICENSE.txt.gz": "Apache-2.0"}
NOT_KNOWN = {"PostgreSQL"}                                         # texts the identifier does not know: None
# Well-known repositories' licence files (see tests/data/licences/README.md), as GitHub's licence
# API names them, or by their SPDX id where its list has none (PSF-2.0, Python-2.0, curl,
# MIT-Khronos-old); None where the file is no one licence's text.
WELL_KNOWN = {"python__typing_extensions__LICENSE.gz": "Python-2.0",    # CPython's LICENSE, vendored
              "tiran__defusedxml__LICENSE.gz": "PSF-2.0",
              "python__mypy__LICENSE.gz": "MIT",             # MIT, then CPython's LICENSE for code it copied
              "KhronosGroup__SPIRV-Headers__LICENSE.gz": "MIT-Khronos-old",  # then jsoncpp's MIT, CC-BY-4.0
              "KhronosGroup__OpenCL-Headers__LICENSE.gz": "Apache-2.0",
              "curl__curl__COPYING": "curl", "libexpat__libexpat__COPYING": "MIT",
              "madler__zlib__LICENSE": "Zlib", "boostorg__boost__LICENSE_1_0.txt": "BSL-1.0",
              "numpy__numpy__LICENSE.txt": "BSD-3-Clause", "pallets__flask__LICENSE.txt": "BSD-3-Clause",
              "django__django__LICENSE": "BSD-3-Clause", "psf__requests__LICENSE.gz": "Apache-2.0",
              "git__git__COPYING.gz": "GPL-2.0",             # Linus' note on the GPL-2.0's text above it
              "serde-rs__serde__LICENSE-MIT": "MIT", "serde-rs__serde__LICENSE-APACHE.gz": "Apache-2.0",
              "rust-lang__cargo__LICENSE-MIT": "MIT", "rust-lang__cargo__LICENSE-APACHE.gz": "Apache-2.0",
              "jquery__jquery__LICENSE.txt": "MIT",
              "sqlite__sqlite__LICENSE.md.gz": None,         # says the code is public domain: no licence's text
              "scolobb__sympy-paper__LICENSE.gz": None}      # CC-BY-4.0 for the paper, MIT for the code: both


@pytest.mark.parametrize("name", sorted(p.name for p in LICENCES.glob("choosealicense__*")))
def test_each_licence_pickers_text_is_its_licence(name):
    spdx = name.split("__", 1)[1].removesuffix(".txt.gz")
    assert licence_of_text(licence_file(name)) == (None if spdx in NOT_KNOWN else spdx)


def test_real_licence_files_are_their_licences():
    """gutenberg's LICENSE.txt and gson's gson/LICENSE (Apache-2.0's full text, whose header
    sentence only comes in its appendix, past license_scan_chars) were no licence at all."""
    assert {n: licence_of_text(licence_file(n)) for n in REAL_FILES} == REAL_FILES


def test_near_misses_are_no_licence():
    mit, bsd3 = (licence_file(f"choosealicense__{i}.txt.gz") for i in ("MIT", "BSD-3-Clause"))
    readme = "# tool\n\nReleased under the MIT License; see LICENSE. Licenses: MIT, BSD-3-Clause.\n"
    # a list of bundled components before their texts: no licence starts the file
    components = "".join(f"src/vendor/lib{i}: see below for its licence\n" for i in range(60))
    assert licence_of_text(readme) is None and licence_of_text(components + mit + "\n" + bsd3) is None
    # wrapping, comment leaders and Markdown emphasis are no words
    assert licence_of_text("/*\n * " + mit.replace("\n", "\n * ").replace("Software", "*Software*") + "\n */") == "MIT"


def test_a_file_is_the_licence_whose_text_starts_it_unless_it_offers_a_choice():
    """An Apache LICENSE with its bundled code's notices appended (Arrow's, Spark's, Kafka's) was
    no licence: the notices are the bundled code's, the text that starts the file is the project's."""
    mit, apache, bsd3, gpl, lgpl = (licence_file(f"choosealicense__{i}.txt.gz")
                                    for i in ("MIT", "Apache-2.0", "BSD-3-Clause", "GPL-3.0", "LGPL-3.0"))
    bundled = (apache + "\n---\nThis product bundles lib/x, which is available under the MIT license:\n\n" + mit
               + "\n---\nand lib/y under a BSD 3-clause license:\n\n" + bsd3)
    two = mit + "\n\nPortions copyright Google, under this licence:\n\n" + bsd3
    assert licence_of_text(bundled) == "Apache-2.0" and licence_of_text(two) == "MIT"
    assert licence_of_text(gpl + "\n" + mit) == "GPL-3.0"  # "(at your option) any later version" is no dual offer
    # a bundled library said to be dual licensed, after the second text, offers no choice of the project's
    later = apache + "\n\nlib/y:\n\n" + bsd3 + "\n\nlib/w is dual licensed under the MIT and WTFPL licenses:\n\n" + mit
    assert licence_of_text(later) == "Apache-2.0"
    assert licence_of_text("This project is dual licensed: at your option\n\n" + apache + "\n\n" + mit) \
        == "Apache-2.0 OR MIT"
    assert licence_of_text("Dual licensed, at your choice:\n\n" + apache + "\n" + mit + "\n" + bsd3) is None
    # the LGPL-3.0 is the GPL-3.0's text with additional permissions: both texts are the LGPL-3.0
    assert licence_of_text(gpl + "\n" + lgpl) == "LGPL-3.0"


def test_a_dual_offer_after_a_notice_counts_one_inside_a_copied_text_does_not():
    """A GNU notice, "This program is dual licensed: you may instead use it under ... the MIT
    license below", then the MIT text was GPL-2.0: the offer was measured against the notice, as if
    it were a text. CPython's LICENSE (its terms say the documentation's code is dual licensed)
    before another text was "Python-2.0 OR MIT"; after a project's MIT text (mypy's) it is MIT."""
    mit = licence_file("choosealicense__MIT.txt.gz")
    cpython = licence_file("python__typing_extensions__LICENSE.gz")
    gnu = ("Copyright (C) 2020 Jane Doe\n\nThis program is free software; you can redistribute it and/or modify it "
           "under the terms of the GNU General Public License as published by the Free Software Foundation; either "
           "version 2 of the License, or (at your option) any later version.\n\n")
    dual = "This program is dual licensed: you may instead use it under the terms of the MIT license below.\n\n"
    assert licence_of_text(gnu + dual + mit) == "GPL-2.0 OR MIT"
    assert licence_of_text("Licensed under the Apache License, Version 2.0.\n" + dual + mit) == "Apache-2.0 OR MIT"
    assert licence_of_text(gnu + mit) == "GPL-2.0"                 # no offer: the first licence named
    assert licence_of_text(cpython + "\n\n" + mit) == "Python-2.0"
    mypy = licence_file("python__mypy__LICENSE.gz")
    own = mypy[:mypy.index("PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2")]
    assert licence_of_text(own + cpython) == "MIT"


def test_a_gnu_notice_may_end_the_text_with_its_version():
    """"... Foundation, version 3." at a text's end was no licence (the version needed a space after it)."""
    notice = ("This program is free software: you can redistribute it and/or modify it under the terms of the "
              "GNU General Public License as published by the Free Software Foundation, version {}")
    assert licence_of_text(notice.format("3.")) == "GPL-3.0" and licence_of_text(notice.format("3")) == "GPL-3.0"
    assert licence_of_text(notice.format("2.1").replace("General", "Lesser General")) == "LGPL-2.1"


def test_licence_files_by_name():
    """Rust's LICENSE-MIT/LICENSE-APACHE, Rails' MIT-LICENSE, GNU's COPYING.LESSER/COPYING.LIB and
    LICENSE.APACHE2 were no licence files."""
    assert all(map(is_licence_file, ["LICENSE", "LICENCE.md", "license", "COPYING", "UNLICENSE", "License.rst",
                                     "LICENSE.txt", "LICENSE-MIT", "LICENSE-APACHE", "LICENSE_MIT.txt", "MIT-LICENSE",
                                     "COPYING.LESSER", "COPYING.LIB", "LICENSE.APACHE2", "BSD-LICENSE.md"]))
    # code and data named for licences, other code's and the documentation's licences
    assert not any(map(is_licence_file, ["README.md", "license.js", "license.json", "licenses", "licensing.md",
                                         "check-license", "update_license.py", "LICENSE-THIRD-PARTY",
                                         "THIRD_PARTY_LICENSE", "LICENSE-docs", "LICENSE.documentation"]))


def test_a_licence_file_is_judged_by_its_whole_text():
    """The full Apache-2.0 text gave code_license None (license_unknown under remove); a LICENSE of
    bundled notices took a header sentence's licence (the first family listed), now its repository's."""
    apache, mit, gpl = (licence_file(f"choosealicense__{i}.txt.gz") for i in ("Apache-2.0", "MIT", "GPL-3.0"))
    components = "".join(f"src/vendor/lib{i}: see below for its licence\n" for i in range(60))
    notices = components + mit + "\n\nbundled: src/gnu.c, under this licence:\n\n" + gpl
    got = _judge({"LICENSE": (apache, {}), "gson/LICENSE": (licence_file("google__gson__gson__LICENSE"), {}),
                  "NOTICES/LICENSE.txt": (notices, {}), "third/LICENSE.txt": (notices, {"license": "MIT"}),
                  "COPYING": (gpl, {"license": "MIT"}),
                  "README.md": ("Licensed under the Apache License, Version 2.0 (see LICENSE)\n", {})},
                 unknown_license="remove")
    assert got == {"LICENSE": (None, "Apache-2.0"), "gson/LICENSE": (None, "Apache-2.0"),
                   "NOTICES/LICENSE.txt": ("license_unknown", None), "third/LICENSE.txt": (None, "MIT"),
                   "COPYING": ("license_not_permissive", "GPL-3.0"), "README.md": (None, "Apache-2.0")}


def test_well_known_repositories_licence_files_are_their_licences():
    """curl's COPYING was ISC (its clause on the holders' names makes it curl's licence), CPython's
    LICENSE vendored by typing_extensions was 0BSD (its documentation's licence, at its end),
    defusedxml's PSF licence None, SPIRV-Headers' Khronos text MIT."""
    assert {n: licence_of_text(licence_file(n)) for n in WELL_KNOWN} == WELL_KNOWN


def test_every_permissive_licence_the_licence_files_name_is_on_the_keep_list():
    """curl's and Khronos' licences, once known, were not on the keep-list: curl's code (read as ISC
    before) became `license_not_permissive` by default."""
    ids = {licence_of_text(licence_file(n)) for n in WELL_KNOWN} - {None}
    assert {"curl", "MIT-Khronos-old", "PSF-2.0", "Python-2.0"} <= ids
    copyleft = ("GPL", "LGPL", "AGPL", "CC-BY")
    assert [x for x in sorted(ids) if not x.startswith(copyleft) and not is_permissive(x, PERMISSIVE)] == []


def test_the_psf_licence_alone_or_in_cpythons_stack():
    """The PSF's agreement alone is PSF-2.0; CPython's LICENSE (history, then the PSF's, BeOpen's,
    CNRI's and CWI's agreements and a 0BSD for the code in its documentation) is Python-2.0 as a
    whole; after a project's own licence it is the code that project copied from CPython."""
    stack, psf = licence_file("python__typing_extensions__LICENSE.gz"), licence_file("tiran__defusedxml__LICENSE.gz")
    assert licence_of_text(stack) == "Python-2.0" and licence_of_text(psf) == "PSF-2.0"
    assert licence_of_text(licence_file("choosealicense__MIT.txt.gz") + "\n\n" + stack) == "MIT"
    # a licence written on the PSF's (matplotlib's: "between the Matplotlib Development Team") is its own
    custom = psf.replace("the Python Software Foundation\n(\"PSF\")", "the Example Team\n(\"ET\")")
    assert custom != psf and licence_of_text(custom) is None


def test_mit_whatever_it_calls_the_licensed_thing():
    """Khronos' MIT ("this software and/or associated documentation files (the "Materials")", "all
    copies or substantial portions of the Materials") was no licence; with its note on Khronos
    standards it is SPDX's MIT-Khronos-old (SPIRV-Headers' LICENSE: that text, then the same
    without the note for spir-v.xml, then jsoncpp's MIT and CC-BY-4.0)."""
    blocks = licence_file("KhronosGroup__SPIRV-Headers__LICENSE.gz").split("\n---\n")
    assert licence_of_text(blocks[0]) == "MIT-Khronos-old" and licence_of_text(blocks[1]) == "MIT"
    # a grant for personal, non-commercial use is no MIT licence (VHDL sources' header)
    assert licence_of_text("Permission is hereby granted to any person obtaining a copy of these VHDL source "
                           "files and\nother language source files and associated documentation files (\"the "
                           "materials\") to use\nthese materials solely for personal, non-commercial purposes.") is None


def test_gnu_notices_in_their_usual_wordings():
    """A COPYING holding only the GNU notice, reworded, was no licence: "under the terms of version 2
    of the GNU General Public License" (yast/yast-storage-ng's files), "the GNU General Public
    License, version 2.0, as published by" (MySQL's), "the GNU General Public Licence, either version
    2" (gitk's, in git/git)."""
    yast = ("This program is free software; you can redistribute it and/or modify it\n"
            "under the terms of version 2 of the GNU General Public License as published\n"
            "by the Free Software Foundation.\n")
    mysql = ("This program is free software; you can redistribute it and/or modify\n"
             "it under the terms of the GNU General Public License, version 2.0,\n"
             "as published by the Free Software Foundation.\n")
    gitk = ("This program is free software; it may be used, copied, modified\n"
            "and distributed under the terms of the GNU General Public Licence,\n"
            "either version 2, or (at your option) any later version.\n")
    assert [licence_of_text(t) for t in (yast, mysql, gitk)] == ["GPL-2.0"] * 3
    assert licence_of_text(yast.replace("version 2 of the GNU General", "version 2.1 of the GNU Lesser General")) \
        == "LGPL-2.1"
    assert licence_of_text(mysql.replace("General Public License, version 2.0", "Affero General Public License, "
                                         "version 3")) == "AGPL-3.0"
    # naming a licence is not its notice (git's contrib/completion/git-prompt.sh)
    assert licence_of_text("Distributed under the GNU General Public License, version 2.0.\n") is None
