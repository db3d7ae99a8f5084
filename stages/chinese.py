"""Chinese/Japanese text cleaning (`chinese_clean`; the spam block lists are in stages/spam.py).

`chinese_clean` normalises width and punctuation the way CJK text expects (full-width letters
and digits become ASCII, full-width CJK punctuation stays unless asked), optionally converts
Traditional <-> Simplified with OpenCC, and drops garbled text ("mojibake"). Garbled text is
detected in every document by default, not only in Chinese ones, because UTF-8 read as
Latin-1 turns Chinese into Latin-looking text that language ID would no longer call Chinese.

Replacement characters (U+FFFD) are judged apart: they mark bytes lost before we read the page,
so a few are holes in a good text - a real article of 1,700 characters carried six runs of them
from its publisher - and are dropped from it; a document where they exceed
`max_replacement_ratio` of the visible characters was decoded wrongly as a whole and is removed
as `mojibake`. The other signatures (UTF-8 read as GBK or Latin-1, private-use and control
characters) keep the stricter `mojibake_ratio_threshold`.

"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from pipeline.stage import Result, Stage
from stages.language import LID176_LABELS, LanguageFilter, lid176_labels
from stages.scripts import LETTER_SCRIPTS, SPACE, category_counts, cjk_ratio_from_counts, scripts_from_counts

CHINESE_SCRIPTS = frozenset({"Hans", "Hant", "Hani"})
# lid.176's labels of the Chinese languages OpenCC's conversions are for
CHINESE_LANGUAGES = frozenset({"zh", "yue", "wuu", "gan"})
# Every name `scripts_from_counts` gives a document: `scripts` can only match these.
SCRIPT_NAMES = (*LETTER_SCRIPTS, "Hani", "Hans", "Hant", "Jpan", "Zyyy")

# --- mojibake signatures: (RE2 pattern, garbled characters each match stands for) ----------
_C1_AND_CP1252 = (r"\x{80}-\x{bf}\x{152}\x{153}\x{160}\x{161}\x{178}\x{17d}\x{17e}\x{192}\x{2c6}"
                  r"\x{2dc}\x{2013}\x{2014}\x{2018}-\x{201e}\x{2020}-\x{2022}\x{2026}\x{2030}"
                  r"\x{2039}\x{203a}\x{20ac}\x{2122}")
# A whole UTF-8 sequence (a lead byte and as many continuation bytes as it announces) as Latin-1 /
# windows-1252 show it: "Ã©", "â€™", "ä¸­" (stages/mojibake.py repairs it). Whole sequences only:
# a lead-byte letter before one continuation-byte letter is ordinary Czech or Slovak ("áž", "íš",
# "pôžička": š and ž are continuation bytes in windows-1252).
_CONT = "[" + _C1_AND_CP1252 + "]"
_UTF8_2, _UTF8_3, _UTF8_4 = (r"[\x{c2}-\x{df}]" + _CONT, r"[\x{e0}-\x{ef}]" + _CONT * 2,
                             r"[\x{f0}-\x{f4}]" + _CONT * 3)
UTF8_AS_LATIN1 = f"{_UTF8_2}|{_UTF8_3}|{_UTF8_4}"
# UTF-8 Cyrillic read as windows-1251 ("РћСЃРЅРѕРІРЅС‹Рµ" for "Основные"): Р or С (the lead
# bytes D0, D1) then a continuation byte that windows-1251 shows as a sign, not a letter (е, а, т,
# ы, ч, з, б, х ... come out so: "Рµ", "Р°", "С‚"); and "вЂ" then one, the typographic quotes and
# dashes. Continuations that are letters (і, ј, ђ, ѕ ... in Ukrainian, Serbian, Macedonian words),
# guillemets and no-break spaces follow Р and С in real text, so they are left out.
UTF8_AS_CP1251 = "[РС][‚„…†‡€‰‹›‘’“”•–—™¤¦§©¬®°±µ¶·№]|вЂ[" + \
    bytes(range(0x80, 0xC0)).decode("cp1251", errors="ignore") + "]"
MOJIBAKE_SIGNATURES: tuple[tuple[str, int], ...] = (
    (r"\x{fffd}", 1),                                  # replacement character
    (r"锟斤拷|烫烫烫|屯屯屯", 3),                        # U+FFFD / uninitialised memory seen through GBK
    (r"[锛銆鈥鐨鏄鍦]", 1),                             # UTF-8 punctuation and 的/是/在 read as GBK
    (_UTF8_2, 2), (_UTF8_3, 3), (_UTF8_4, 4),          # UTF-8 read as Latin-1 / cp1252 ("Ã©", "â€™")
    (UTF8_AS_CP1251, 2),                               # UTF-8 Cyrillic read as windows-1251 ("Рµ", "вЂ”")
    # GBK/Big5 bytes read as Latin-1; not · × ÷, which Chinese text repeats (····, ××公司)
    (r"[\x{a1}-\x{b6}\x{b8}-\x{d6}\x{d8}-\x{f6}\x{f8}-\x{fe}]{4,}", 4),
    (r"[\x{e000}-\x{f8ff}]", 1),                       # private-use characters
    (r"[\x{00}-\x{08}\x{0b}\x{0c}\x{0e}-\x{1f}\x{7f}]", 1),  # control characters
)

_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for c in range(r[0], r[1] + 1)}
_HALFWIDTH_KATAKANA_RUN = re.compile("[\uff61-\uff9f]+")
_CJK_CHAR = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TO_FULLWIDTH_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_ASCII_PUNCT_NEAR_CJK = re.compile(
    f"(?<=[{_CJK_CHAR}])[,;:?!()]|[,;:?!()](?=[{_CJK_CHAR}])")
_TO_HALFWIDTH_PUNCT = str.maketrans({"，": ",", "；": ";", "：": ":", "？": "?", "！": "!",
                                     "（": "(", "）": ")", "。": ".", "、": ","})


_ANY_MOJIBAKE = "|".join(p for p, _ in MOJIBAKE_SIGNATURES)


def mojibake_counts(texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Garbled characters per document, summed over MOJIBAKE_SIGNATURES (int64)."""
    total = np.zeros(len(texts), dtype=np.int64)
    # One pass finds the rows with any signature; the seven counts run on those rows only.
    rows = np.flatnonzero(pc.fill_null(pc.match_substring_regex(texts, _ANY_MOJIBAKE), False)
                          .to_numpy(zero_copy_only=False))
    if len(rows):
        garbled = texts.take(pa.array(rows, pa.int64()))
        for pattern, weight in MOJIBAKE_SIGNATURES:
            hits = pc.count_substring_regex(garbled, pattern).fill_null(0)
            total[rows] += weight * hits.to_numpy(zero_copy_only=False).astype(np.int64)
    return total


@functools.lru_cache(maxsize=None)
def opencc_converter(config: str):
    """One OpenCC converter per config and process; kept off the stage so set-up stages pickle."""
    try:
        import opencc
        return opencc.OpenCC(config)
    except Exception as e:  # a missing/broken OpenCC must stop the run, not skip conversion
        raise RuntimeError(f"chinese_clean: cannot load OpenCC {config!r}: {e}") from e


class ChineseClean(Stage):
    """Width/punctuation normalisation, optional OpenCC conversion and mojibake removal.

    Adds `cjk_ratio`, `mojibake_ratio` and `replacement_ratio` (float32). Removal reasons:
    `mojibake`, `low_cjk_ratio`.
    """
    name: ClassVar[str] = "chinese_clean"
    adds: ClassVar[frozenset[str]] = frozenset({"cjk_ratio", "mojibake_ratio", "replacement_ratio"})
    signal_thresholds: ClassVar[dict] = {"cjk_ratio": ("min_cjk_ratio", "min"),
                                         "mojibake_ratio": ("mojibake_ratio_threshold", "max"),
                                         "replacement_ratio": ("max_replacement_ratio", "max")}
    version: ClassVar[str] = "3"   # 3: yue and wuu selected by default; `script` of converted text

    text_field: str = Field("text", description="Column holding the text.")
    languages: list[str] = Field(default_factory=lambda: ["zh", "yue", "wuu", "ja"], description=(
        "Clean documents whose `language` column is one of these (when that column exists); by default "
        "the Chinese languages lid.176 names (zh, yue, wuu) and Japanese. `convert` acts on these only."))
    scripts: list[str] = Field(default_factory=lambda: ["Hans", "Hant", "Hani", "Jpan"], description=(
        "... or, without a `language` column (or where it is null), whose dominant script is one of these."))
    halfwidth_alnum: bool = Field(True, description=(
        "Full-width ASCII letters and digits (ＡＢＣ１２３) become ASCII."))
    fullwidth_katakana: bool = Field(True, description=(
        "Half-width katakana (ｶﾀｶﾅ) become full-width (カタカナ), as NFKC does."))
    ideographic_space_to_ascii: bool = Field(False, description=(
        "Ideographic space U+3000 becomes an ASCII space."))
    punctuation: Literal["keep", "fullwidth", "halfwidth"] = Field("keep", description=(
        "Keep: leave punctuation; fullwidth: ASCII ,;:?!() next to CJK become ，；：？！（）; halfwidth: the reverse."))
    convert: Literal["none", "t2s", "s2t"] = Field("none", description=(
        "OpenCC conversion of the cleaned Chinese documents (those `languages` selects that are labelled "
        "zh, yue, wuu or gan, or unlabelled in a Chinese script; never Japanese): t2s "
        "(Traditional->Simplified), s2t, or none. A converted document's `script` column is computed "
        "again from the converted text."))
    min_cjk_ratio: float = Field(0.0, ge=0.0, le=1.0, description=(
        "Remove Chinese documents whose share of CJK characters is below this (0 = off)."))
    mojibake_ratio_threshold: float = Field(0.01, gt=0.0, le=1.0, description=(
        "Remove documents with at least this share of garbled characters, U+FFFD aside (1 = off)."))
    max_replacement_ratio: float = Field(0.05, gt=0.0, le=1.0, description=(
        "Remove documents where replacement characters (U+FFFD) are more than this share of the visible "
        "characters (a wrong decoding); below it they are holes left by the source, dropped from the text."))
    min_mojibake_chars: int = Field(3, ge=1, description=(
        "... and at least this many garbled characters, so one stray U+FFFD never removes a page."))
    mojibake_all_documents: bool = Field(True, description=(
        "Check every document for mojibake, not only the Chinese/Japanese ones."))

    @field_validator("scripts")
    @classmethod
    def _known_scripts(cls, v: list[str]) -> list[str]:
        # A name the detector never gives (`Han`, `Chinese`) matches no document, and the stage then
        # cleans nothing without a word.
        wrong = [s for s in v if s not in SCRIPT_NAMES]
        if wrong:
            raise ValueError(f"{', '.join(map(repr, wrong))} not a script name this stage detects; "
                             f"known: {', '.join(SCRIPT_NAMES)}")
        return v

    def check_recipe(self, recipe, stage_id: str) -> None:
        # Another model's labels (GlotLID: zho_Hani) are its own; lid.176's are known.
        if any(isinstance(s.stage, LanguageFilter) and s.stage.model_path for s in recipe.stages):
            return
        wrong = [x for x in self.languages if x not in lid176_labels()]
        if wrong:
            raise ValueError(f"languages: {', '.join(map(repr, wrong))} not a lid.176 label, as the language "
                             f"stage writes them (zh, ja, yue, wuu; all in {LID176_LABELS})")

    def setup(self) -> None:
        if self.convert != "none":
            opencc_converter(self.convert)  # raise now if OpenCC cannot load
        table = dict(_FULLWIDTH_ALNUM) if self.halfwidth_alnum else {}
        if self.ideographic_space_to_ascii:
            table[0x3000] = 0x20
        self._width_table = table
        # RE2 class of the characters the table changes: rows without one skip `str.translate`
        # (~0.1 ms on a Chinese page, and most pages have no full-width letters or digits).
        self._width_chars = "[" + "".join(f"\\x{{{c:x}}}" for c in sorted(table)) + "]" if table else None

    def _selected(self, batch: pa.Table, scripts: list[str], languages=None, script_set=None) -> np.ndarray:
        """Rows labelled one of `languages`, or unlabelled in one of `script_set` (default: the
        stage's options)."""
        by_script = np.isin(np.array(scripts, dtype=object), list(script_set or self.scripts))
        if "language" not in batch.column_names:
            return by_script
        lang = batch.column("language")
        by_lang = pc.fill_null(pc.is_in(lang, value_set=pa.array(list(languages or self.languages), pa.string())),
                               False)
        no_lang = pc.is_null(lang).to_numpy(zero_copy_only=False)
        return by_lang.to_numpy(zero_copy_only=False) | (no_lang & by_script)

    def _clean(self, text: str, wide: bool = True, convert: bool = True) -> str:
        if self._width_table and wide:
            text = text.translate(self._width_table)
        if self.fullwidth_katakana:
            text = _HALFWIDTH_KATAKANA_RUN.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
        if self.punctuation == "fullwidth":
            text = _ASCII_PUNCT_NEAR_CJK.sub(lambda m: _TO_FULLWIDTH_PUNCT[m.group()], text)
        elif self.punctuation == "halfwidth":
            text = text.translate(_TO_HALFWIDTH_PUNCT)
        if self.convert != "none" and convert:
            text = opencc_converter(self.convert).convert(text)
        return text

    def process(self, batch: pa.Table) -> Result:
        col = self.text_field
        texts = batch.column(col)
        counts = category_counts(texts)
        scripts = scripts_from_counts(counts)
        selected = self._selected(batch, scripts)

        holes = pc.count_substring(texts, "\ufffd").fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        garbled = mojibake_counts(texts) - holes          # the other signatures (U+FFFD weighs 1 there)
        visible = counts.sum(axis=1) - counts[:, SPACE]
        moj_ratio = np.divide(garbled, visible, out=np.zeros(len(garbled)), where=visible > 0)
        rep_ratio = np.divide(holes, visible, out=np.zeros(len(holes)), where=visible > 0)
        is_mojibake = ((garbled >= self.min_mojibake_chars) & (moj_ratio >= self.mojibake_ratio_threshold)) | \
            ((holes >= self.min_mojibake_chars) & (rep_ratio > self.max_replacement_ratio))
        judged = np.ones(len(holes), dtype=bool) if self.mojibake_all_documents else selected
        is_mojibake &= judged

        # OpenCC converts Chinese only: run over Japanese it wrote 東京駅 as 东京駅 and 紹介 as 绍介
        # (`languages` selects ja for the width rules). Chinese: labelled a Chinese language, or,
        # unlabelled, in a Chinese script.
        convertible = self._selected(batch, scripts, sorted(CHINESE_LANGUAGES), CHINESE_SCRIPTS)
        values = texts.to_pylist()
        wide = pc.fill_null(pc.match_substring_regex(texts, self._width_chars), False).to_numpy(
            zero_copy_only=False) if self._width_chars else np.zeros(len(values), dtype=bool)
        changed_rows = []
        converts = self.convert != "none"
        for i in np.flatnonzero((selected | (judged & (holes > 0))) & ~is_mojibake):
            if values[i]:
                new = values[i].replace("\ufffd", "") if holes[i] else values[i]
                if selected[i]:
                    new = self._clean(new, wide=bool(wide[i]), convert=bool(convertible[i]))
                if new != values[i]:
                    values[i] = new
                    changed_rows.append(i)
        changed = int(selected[changed_rows].sum()) if changed_rows else 0
        cleaned = pa.array(values, texts.type)
        new_counts = counts
        if changed_rows:      # (counts are per row: only the changed rows are counted again)
            new_counts = counts.copy()
            new_counts[changed_rows] = category_counts(cleaned.take(pa.array(changed_rows, pa.int64())))
        ratio = cjk_ratio_from_counts(new_counts)

        chinese = selected & np.isin(np.array(scripts, dtype=object), list(CHINESE_SCRIPTS))
        if "language" in batch.column_names:
            is_zh = pc.fill_null(pc.equal(batch.column("language"), "zh"), False).to_numpy(zero_copy_only=False)
            chinese |= selected & is_zh
        low_cjk = chinese & (ratio < self.min_cjk_ratio)

        reasons = np.full(len(values), None, dtype=object)
        reasons[low_cjk] = "low_cjk_ratio"
        reasons[is_mojibake] = "mojibake"
        out = batch.set_column(batch.column_names.index(col), col, cleaned)
        # t2s turns a Hant text Hans: the `script` the language stage wrote would still say Hant, and
        # the zh-Hant profile (its stop words) would judge Simplified text downstream.
        converted = [i for i in changed_rows if selected[i] and convertible[i]] if converts else []
        if converted and "script" in out.column_names:
            script = out.column("script").to_pylist()
            for i, name in zip(converted, scripts_from_counts(new_counts[converted])):
                script[i] = name
            out = _put(out, "script", pa.array(script, out.schema.field("script").type))
        out = _put(out, "cjk_ratio", pa.array(ratio, pa.float32()))
        out = _put(out, "mojibake_ratio", pa.array(moj_ratio, pa.float32()))
        out = _put(out, "replacement_ratio", pa.array(rep_ratio, pa.float32()))
        kept_holes = int(holes[~is_mojibake & judged].sum())
        return Result.split(out, pa.array(reasons.tolist(), pa.string()),
                            counters={"cjk_cleaned_documents": changed, "replacement_chars_dropped": kept_holes})


def _put(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


# `spam_filter` lives in stages/spam.py; the old names stay importable from here.
from stages.spam import SpamFilter as SpamBlocklistFilter  # noqa: E402,F401
from stages.spam_phrases import category_of, read_phrase_file  # noqa: E402,F401
