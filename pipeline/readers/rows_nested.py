"""Collections nested in levels (`nested_collections`): a book of parts of chapters, chinese-poetry's
蒙学 files (`{"title", "content": [{"title", "content": [{"chapter", "paragraphs"}]}]}`), read as a
document per object that holds the text field, at whatever depth, for the JSON and JSON Lines
readers (rows_json.py, rows.py)."""
from __future__ import annotations

import dataclasses
from typing import Iterator

from pipeline.readers.base import Quarantined, ReadState
from pipeline.readers.rows import EACH, _get, field_path

# Bounds of the walks, which are recursive: levels of a nested collection entered (deeper, an
# object is read as a row, which says why not), and JSON nesting searched for the text field below one.
_MAX_LEVELS = 32
_MAX_DEPTH = 64
LEVELS_KEY, POINTER_KEY = "collection_levels", "collection_pointer"


def collection_rows(opts, row, state: ReadState | None = None, pointer: str = "", levels: tuple = ()
                    ) -> Iterator[tuple[str | None, object]]:
    """The rows `row` stands for, with where each is (a JSON Pointer from `row`; None for `row`
    itself): `row`, unless the reader reads `nested_collections` and it is an object without the
    text field holding it deeper. Then it is a level: each value of it (an object, a list's items)
    that holds the text field at some depth is entered, the rest of its fields are the level's, and
    the objects holding the text field are the rows, with the levels above (`collection_levels`,
    outermost first) and their pointer (`collection_pointer`) in them. A text field that holds a
    list of objects holding it (chinese-poetry's 千家詩: a poem's `paragraphs` are its parts'
    `{"subchapter", "paragraphs"}`) is a level too. An item of a level that is not an object, or
    an object with nothing under it holding the text field, is its own row: quarantined as such a
    row is (`bad_row`, `missing_text`), never left out. A row with a `collection_levels` or
    `collection_pointer` field of its own keeps it, counted (`collection_levels_field_taken`).

    Why a walk of our own: it is a dozen lines over the parsed value; a query language (jq,
    JSONPath) needs the path to be known, and this one differs from file to file of a folder."""
    field = opts.content_field
    if not (getattr(opts, "nested_collections", False) and isinstance(row, dict)) or _is_document(row, field) \
            or len(levels) >= _MAX_LEVELS or not (inner := [k for k, v in row.items() if _reaches_text(v, field, 0)]):
        if levels and isinstance(row, dict):
            if LEVELS_KEY in row or POINTER_KEY in row:
                if state is not None:
                    state.count("collection_levels_field_taken")
            else:
                row = {**row, LEVELS_KEY: list(levels), POINTER_KEY: pointer}
        yield (pointer or None), row
        return
    level = {k: v for k, v in row.items() if k not in inner}
    for key in inner:
        at = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
        items = enumerate(row[key]) if isinstance(row[key], list) else [(None, row[key])]
        for i, item in items:
            yield from collection_rows(opts, item, state, at if i is None else f"{at}/{i}", (*levels, level))


def _is_document(row: dict, field: str) -> bool:
    """Whether `row` holds the text field, with anything but objects in it (text, or what its row
    says is wrong: a number, null)."""
    at = field_path(row, field)
    if at is None:
        return False
    value = _get(row, at)
    return EACH in at or not (isinstance(value, list) and any(isinstance(v, dict) for v in value))


def _reaches_text(value, field: str, depth: int) -> bool:
    """Whether an object holding the text field is in `value` (itself or nested), `_MAX_DEPTH` deep at most."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return _is_document(value, field) or any(_reaches_text(v, field, depth + 1) for v in value.values()
                                                  if isinstance(v, (dict, list)))
    if isinstance(value, list):
        return any(_reaches_text(v, field, depth + 1) for v in value if isinstance(v, (dict, list)))
    return False


def said_nested(opts, row, items: Iterator) -> Iterator:
    """`items`, a row's, its `missing_text` item saying `nested_collections` reads it where the row
    holds the text field deeper, not itself, and the reader does not enter levels."""
    for item in items:
        if isinstance(item, Quarantined) and item.reason == "missing_text" and isinstance(row, dict) and \
                not getattr(opts, "nested_collections", True) and not _is_document(row, opts.content_field) and \
                _reaches_text(row, opts.content_field, 0):
            item = dataclasses.replace(item, detail=f"{item.detail}; objects in it hold {opts.content_field!r}, in "
                                                    f"levels: set nested_collections: true to read them")
        yield item
