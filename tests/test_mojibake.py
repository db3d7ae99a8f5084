"""fix_mojibake: UTF-8 garbled by a Latin-1/windows-1252 decode is put back (ftfy), nothing else changes."""
import csv

import pyarrow as pa

from stages.chinese import mojibake_counts
from stages.mojibake import FixMojibake


def run(texts: list[str | None]):
    result = FixMojibake().ensure_setup()(pa.table({"id": [str(i) for i in range(len(texts))],
                                                     "text": pa.array(texts, pa.string())}))
    return result.kept.column("text").to_pylist(), result.counters


def garble(text: str, codec: str = "sloppy-windows-1252") -> str:
    """As a tool that read UTF-8 as windows-1252 left it: the five bytes cp1252 leaves undefined
    (0x81, 0x8d, 0x8f, 0x90, 0x9d: the end of ” is one) as the C1 controls Latin-1 gives them."""
    import ftfy.bad_codecs  # noqa: F401 - registers sloppy-windows-1252
    return text.encode("utf-8").decode(codec)


def test_garbled_text_is_put_back_in_every_script():
    clean = ["It’s the café’s “best” crêpe — 2 € only", "中文网页的正文，编码被读错了。",
             "日本語のテキストです。", "Übergrößenträger in Köln", "Это русский текст"]
    fixed, counters = run([garble(t) for t in clean] + [garble(clean[0], "latin-1")])
    assert fixed == clean + clean[:1]
    assert counters == {"mojibake_repaired": len(clean) + 1}


def test_a_few_garbled_quotes_in_good_text_are_repaired_where_they_are():
    page = "Indian family" + garble("’") + "s dog saves the day.\nThe dog, a lab, is fine."
    (fixed,), _ = run([page])
    assert fixed == "Indian family’s dog saves the day.\nThe dog, a lab, is fine."


def test_correct_text_that_looks_like_mojibake_is_left_alone():
    texts = ["« Un café », dit-il. Voilà « Ça va ? » — très « éloigné »",    # é» and « pass the screen
             "symbols: 30° ± 2 × 3 ¿qué? ¡sí!", "naïve façade: déjà vu",
             "Straße, Maß & Fußgänger", "Привет, мир", "全角ＡＢＣ１２３と半角", None, ""]
    fixed, counters = run(texts)
    assert fixed == texts and counters == {"mojibake_repaired": 0}


def test_real_sentences_change_only_where_they_were_garbled(shared_data):
    """Leipzig's web sentences (75 languages) hold a few garbled ones, as real web text does: those
    are repaired, the other thousands stay byte for byte."""
    rows = list(csv.DictReader(open(shared_data / "text" / "multilingual_sentences.tsv", encoding="utf-8"),
                               delimiter="\t"))
    texts = [r["text"] for r in rows]
    fixed, counters = run(texts)
    changed = [(a, b) for a, b in zip(texts, fixed) if a != b]
    assert changed and counters["mojibake_repaired"] == len(changed) < len(texts) / 100
    before = mojibake_counts(pa.array([a for a, _ in changed])).tolist()
    after = mojibake_counts(pa.array([b for _, b in changed])).tolist()
    assert all(y < x for x, y in zip(before, after)), list(zip(before, after))


def test_a_chunked_column_keeps_its_type_nulls_and_untouched_rows():
    texts = pa.chunked_array([pa.array(["plain", garble("café")], pa.large_string()),
                              pa.array([None, garble("It’s")], pa.large_string())])
    result = FixMojibake().ensure_setup()(pa.table({"text": texts}))
    out = result.kept.column("text")
    assert out.type == pa.large_string() and out.to_pylist() == ["plain", "café", None, "It’s"]
    assert result.counters == {"mojibake_repaired": 2}


def _sentences(shared_data, lang: str) -> list[str]:
    with open(shared_data / "text" / "multilingual_sentences.tsv", encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f, delimiter="\t") if r["lang_iso639_1"] == lang]


def test_cyrillic_read_as_windows_1251_is_put_back_and_czech_is_not_mojibake(shared_data):
    """UTF-8 Cyrillic read as windows-1251 ("РћСЃРЅРѕРІРЅС‹Рµ") is screened and repaired; Czech
    and Slovak letter pairs (á then ž: a UTF-8 lead byte and one continuation as windows-1252 shows
    them) and Ukrainian, Serbian and Russian text (С then і, ј; «МТС») are not mojibake."""
    ru = " ".join(_sentences(shared_data, "ru")[:20])
    fixed, counters = run([garble(ru, "sloppy-windows-1251")])
    assert fixed == [ru] and counters == {"mojibake_repaired": 1}
    assert mojibake_counts(pa.array([garble(ru, "sloppy-windows-1251")]))[0] > len(ru) // 20
    clean = [" ".join(_sentences(shared_data, lang)) for lang in ("cs", "sk", "uk", "sr", "ru", "bg", "mk")]
    clean.append("Компания «МТС» и «РЖД» подписали соглашение. С\u00a0утра шёл дождь.")
    assert mojibake_counts(pa.array(clean)).tolist() == [0] * len(clean)
    assert run(clean) == (clean, {"mojibake_repaired": 0})
