"""`fix_mojibake`: text that was UTF-8 read as Latin-1 or windows-1252 ("Ã©" for "é", "â€™" for
"’", "Â " for a no-break space), or Cyrillic read as windows-1251 ("Рћ" for "О"), is put back, by ftfy.

Where such text comes from: a page whose own bytes are already garbled (a CMS that decoded UTF-8
as windows-1252 once and stored the result as UTF-8; the reader then reads exactly what the page
holds, as a browser shows it), and JSON Lines and Parquet corpora made by such tools. It is ~0.6%
of CleanEval's final pages. Repairing beats removing: the text is otherwise good, and
`chinese_clean` removes what still looks garbled afterwards.

ftfy (the field's library for this; datatrove's FTFYFormatter and NeMo Curator's
UnicodeReformatter use it) runs with only its encoding repair on: HTML entities, quotes, widths,
ligatures, line breaks and normalisation stay as the extractor gave them, so a document changes only
where its characters were garbled. It costs ~5 ms on a 10 KB page, so it runs only on the
documents where an RE2 screen over the batch finds a whole UTF-8 sequence as Latin-1/windows-1252
(or windows-1251) show it (`chinese.MOJIBAKE_SIGNATURES`' own patterns); ftfy then decides.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from pipeline.stage import Result, Stage
from stages.chinese import UTF8_AS_CP1251, UTF8_AS_LATIN1

_CONFIG = dict(unescape_html=False, remove_terminal_escapes=False, fix_encoding=True, restore_byte_a0=True,
               replace_lossy_sequences=True, decode_inconsistent_utf8=True, fix_c1_controls=True,
               fix_latin_ligatures=False, fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
               fix_surrogates=False, remove_control_chars=False, normalization=None, explain=False)


class FixMojibake(Stage):
    """Repair UTF-8 text garbled by a Latin-1/windows-1252 decode (ftfy's encoding repair only).

    Counter `mojibake_repaired`: documents whose text changed."""
    name: ClassVar[str] = "fix_mojibake"
    adds: ClassVar[frozenset[str]] = frozenset()
    version: ClassVar[str] = "1"

    text_field: str = Field("text", description="Column holding the text.")
    max_chars: int = Field(2_000_000, gt=0, description=(
        "Documents longer than this are left as they are (ftfy's time grows with the text)."))

    def setup(self) -> None:
        import ftfy
        self._fix, self._config = ftfy.fix_text, ftfy.TextFixerConfig(**_CONFIG)

    def process(self, batch: pa.Table) -> Result:
        col = self.text_field
        texts = batch.column(col)
        screened = pc.fill_null(pc.match_substring_regex(texts, f"{UTF8_AS_LATIN1}|{UTF8_AS_CP1251}"), False)
        rows = np.flatnonzero(screened.to_numpy(zero_copy_only=False))
        if not len(rows):
            return Result(kept=batch, counters={"mojibake_repaired": 0})
        # Only the screened documents become Python strings; the column is patched where ftfy changed one.
        fixed: dict[int, str] = {}                        # row -> repaired text, rows ascending
        for i, text in zip(rows.tolist(), texts.take(pa.array(rows, pa.int64())).to_pylist()):
            if len(text) <= self.max_chars and (new := self._fix(text, self._config)) != text:
                fixed[i] = new
        if fixed:
            mask = np.zeros(len(texts), dtype=bool)
            mask[list(fixed)] = True
            column = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
            column = pc.replace_with_mask(column, pa.array(mask), pa.array(list(fixed.values()), texts.type))
            batch = batch.set_column(batch.column_names.index(col), col, column)
        return Result(kept=batch, counters={"mojibake_repaired": len(fixed)})
