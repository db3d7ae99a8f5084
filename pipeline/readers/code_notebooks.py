"""Jupyter notebooks read as the scripts their cells make (the code reader's `notebooks: script`).

As The Stack's jupyter-scripts and StarCoder's notebook data did: code cells' source as code,
markdown (and raw) cells as comment lines in the kernel's language, outputs (base64 images,
tables, tracebacks) dropped. Read with the stdlib's json: nbformat validates against its schema
and needs jsonschema, for two keys read here (`cells`, nbformat 3's `worksheets`).
"""
from __future__ import annotations

import functools
import json
import re

# Comment leaders of kernel languages (Pygments' names, lower case) for a notebook's markdown
# cells; a language not listed (Python, R, Julia, Bash, Ruby, Perl, ...) or unknown gets "#".
# A pair is a block comment opened and closed on each line.
NOTEBOOK_COMMENTS: dict[str, str | tuple[str, str]] = {
    **dict.fromkeys(["c", "c++", "c#", "f#", "java", "javascript", "typescript", "scala", "kotlin", "go", "rust",
                     "swift", "dart", "groovy", "objective-c", "d", "zig", "stata", "php"], "//"),
    **dict.fromkeys(["haskell", "lua", "sql", "ada", "elm", "idris", "agda", "purescript", "vhdl"], "--"),
    **dict.fromkeys(["matlab", "octave", "prolog", "erlang", "tex", "gnuplot"], "%"),
    **dict.fromkeys(["clojure", "scheme", "racket", "common lisp", "emacslisp", "hy"], ";;"),
    "fortran": "!", "fortranfixed": "!",
    **dict.fromkeys(["mathematica", "ocaml", "wolfram language"], ("(*", "*)")),
    "sas": ("/*", "*/"),
}
# Kernel names that are no language name: IRkernel is R, xeus-cling's C++.
_KERNEL_LANGUAGES = {"ir": "r", "xcpp": "c++", "xcpp11": "c++", "xcpp14": "c++", "xcpp17": "c++",
                     "ijavascript": "javascript", "gophernotes": "go", "evcxr": "rust", "almond": "scala",
                     "ipython": "python"}


class NotebookScript:
    """A notebook as a script (`notebook_script`)."""
    __slots__ = ("text", "language", "code_cells", "markdown_cells")

    def __init__(self, text: str, language: str | None, code_cells: int, markdown_cells: int):
        self.text, self.language, self.code_cells, self.markdown_cells = text, language, code_cells, markdown_cells


@functools.lru_cache(maxsize=256)
def language_named(name: str) -> str | None:
    """The language Pygments knows by this kernel language, kernel name or interpreter (`python3`,
    `julia-1.9`, `ir`, `ruby2.7`), by its display name (R, not S); None when it knows none."""
    from pygments.lexers import get_lexer_by_name

    from pipeline.readers.code_languages import _RENAMED      # code_languages.py imports this module
    from pygments.util import ClassNotFound
    name = name.strip().lower()
    for cand in dict.fromkeys([name, _KERNEL_LANGUAGES.get(name, name),
                               re.sub(r"[-_ ]?v?\d[\w.]*$", "", name)]):
        cand = _KERNEL_LANGUAGES.get(cand, cand)
        if not cand:
            continue
        try:
            cls = get_lexer_by_name(cand)
        except ClassNotFound:
            continue
        return _RENAMED.get(cls.name, cls.name)
    return None


def _cell_source(cell: dict, key: str = "source") -> str:
    src = cell.get(key, "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _comment(text: str, leader: str | tuple[str, str]) -> str:
    """Each line of a markdown cell as a comment (an empty line as the bare leader, as jupytext)."""
    out = []
    for line in text.rstrip().split("\n"):
        line = line.rstrip()
        if isinstance(leader, tuple):
            out.append(f"{leader[0]} {line} {leader[1]}" if line else "")
        else:
            out.append(f"{leader} {line}" if line else leader)
    return "\n".join(out)


def notebook_script(text: str) -> NotebookScript:
    """A Jupyter notebook's JSON as a script: code cells' source as it is, markdown and raw cells
    as comment lines in the kernel's language (`NOTEBOOK_COMMENTS`, "#" when unknown; nbformat 3's
    heading cells as markdown headings), outputs dropped, cells a blank line apart. ValueError,
    saying why, when the text is no notebook (no JSON object, no cell list)."""
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"not a notebook: not valid JSON ({str(e)[:200]})") from None
    if not isinstance(nb, dict):
        raise ValueError(f"not a notebook: its JSON is a {type(nb).__name__}, not an object")
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    if isinstance(nb.get("cells"), list):                      # nbformat 4
        cells = nb["cells"]
    elif isinstance(nb.get("worksheets"), list):               # nbformat 3
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) and isinstance(ws.get("cells"), list)
                 for c in ws["cells"]]
    else:
        raise ValueError("not a notebook: no 'cells' list (nbformat 4) nor 'worksheets' (nbformat 3)")
    kernelspec = meta.get("kernelspec") if isinstance(meta.get("kernelspec"), dict) else {}
    info = meta.get("language_info") if isinstance(meta.get("language_info"), dict) else {}
    language = None
    v3_cell = next((c.get("language") for c in cells if isinstance(c, dict) and c.get("language")), None)
    for cand in (kernelspec.get("language"), info.get("name"), meta.get("language"), kernelspec.get("name"), v3_cell):
        if isinstance(cand, str) and cand.strip() and (language := language_named(cand)):
            break
    leader = NOTEBOOK_COMMENTS.get((language or "").lower(), "#")
    parts, n_code, n_md = [], 0, 0
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        if kind == "code":
            src = _cell_source(cell, "source" if "source" in cell else "input")
            if src.strip():
                parts.append(src.rstrip())
                n_code += 1
        elif kind in ("markdown", "raw", "heading"):
            src = _cell_source(cell)
            if kind == "heading" and isinstance(cell.get("level"), int):
                src = "#" * max(1, min(cell["level"], 6)) + " " + src
            if src.strip():
                parts.append(_comment(src, leader))
                n_md += 1
    return NotebookScript("\n\n".join(parts) + "\n" if parts else "", language, n_code, n_md)
