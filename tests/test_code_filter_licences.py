"""code_filter: licences as SPDX expressions, generated-file markers, files of no known language."""
from pipeline.documents import documents_table
from stages.code_filter import CodeFilter, is_permissive, parse_license, PERMISSIVE

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
