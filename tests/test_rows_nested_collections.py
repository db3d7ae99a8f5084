"""JSON collections nested in levels (`nested_collections`): a book holding parts holding chapters, as
chinese-poetry publishes its 蒙学 (primers) files, read one document per object holding the text
field, whatever the depth, the levels above it in its metadata; what holds no text is quarantined.

The excerpts are chinese-poetry/chinese-poetry (MIT) @ 99ebbef7e1345c0985c44b9fd96a3f9e776f117b,
cut to a few chapters and lines each (the layout as published, the text as is)."""
import json

import pytest

from pipeline.readers import Doc, Quarantined, ReadState, expand_paths, read_source_file
from pipeline.recipe import SourceConfig

# 蒙学/shenglvqimeng.json: a book of two parts (上卷, 下卷) of rhyme chapters; the abstract cut short.
SHENGLV = {
    "title": "聲律啓蒙", "author": "車萬育",
    "abstract": "《聲律啓蒙》是訓練兒童應對，掌握聲韻格律的啓蒙讀物。",
    "content": [
        {"title": "上卷", "content": [
            {"chapter": "一 東", "paragraphs": [
                "雲對雨，雪對風，晚照對晴空。來鴻對去燕，宿鳥對鳴蟲。三尺劍，六鈞弓，嶺北對江東。人間清暑殿，天上廣寒宮。"
                "兩岸曉煙楊柳綠，一園春雨杏花紅。兩鬢風霜，途次早行之客；一蓑煙雨，溪邊晚釣之翁。",
                "沿對革，異對同，白叟對黃童。江風對海霧，牧子對漁翁。顏巷陋，阮途窮，冀北對遼東。池中濯足水，門外打頭風。"
                "梁帝講經同泰寺，漢皇置酒未央宮。塵慮縈心，懶撫七絃綠綺；霜華滿鬢，羞看百鍊青銅。"]}]},
        {"title": "下卷", "content": [
            {"chapter": "一 先", "paragraphs": [
                "晴對雨，地對天，天地對山川。山川對草木，赤壁對青田。郟鄏鼎，武城弦，木筆對苔錢。金城三月柳，玉井九秋蓮。"
                "何處春朝風景好，誰家秋夜月華圓。珠綴花梢，千點薔薇香露；練橫樹杪，幾絲楊柳殘煙。"]}]},
    ],
}

# 蒙学/qianjiashi.json: a book of forms (type) of poems; a poem in parts holds them in its own
# `paragraphs`, as objects with their `paragraphs` (其一, 其二): three and four levels.
QIANJIA = {
    "title": "千家詩", "author": "南宋謝枋得/明代王相",
    "content": [
        {"type": "五言絕句", "content": [
            {"chapter": "春眠", "author": "（唐）孟浩然", "paragraphs": ["春眠不覺曉，處處聞啼鳥。", "夜來風雨聲，花落知多少。"]}]},
        {"type": "五言律詩", "content": [
            {"chapter": "幸蜀回至劍門", "author": "（唐）李隆基",
             "paragraphs": ["劍閣橫雲峻，鑾輿出狩回。", "翠屏千仞合，丹嶂五丁開。", "灌木縈旗轉，仙雲拂馬來。", "乘時方在德，嗟爾勒銘才。"]},
            {"chapter": "攜妓納涼晚際遇雨", "author": "（唐）杜甫", "paragraphs": [
                {"subchapter": "其一", "paragraphs": ["落日放船好，輕風生浪遲。", "竹深留客處，荷淨納涼時。",
                                                     "公子調冰水，佳人雪藕絲。", "片雲頭上黑，應是雨催詩。"]},
                {"subchapter": "其二", "paragraphs": ["雨來沾席上，風急打船頭。", "越女紅裙溼，燕姬翠黛愁。",
                                                     "纜侵堤柳系，幔捲浪花浮。", "歸路翻蕭颯，陂塘五月秋。"]}]}]},
    ],
}

# 蒙学/sanzijing-traditional.json (one object, no levels) and 蒙学/zengguangxianwen.json (one level).
SANZIJING = {"title": "三字經", "author": "王應麟", "tags": "傳統版",
             "paragraphs": ["人之初，性本善，性相近，習相遠。", "茍不教，性乃遷，教之道，貴以專。"]}
ZENGGUANG = {"title": "增廣賢文", "author": "佚名", "abstract": "《增廣賢文》爲中國古代兒童啓蒙書目。",
             "content": [{"chapter": "上集", "paragraphs": ["昔時賢文，誨汝諄諄。", "集韻增廣，多見多聞。"]},
                         {"chapter": "下集", "paragraphs": ["人生一世，草生一春。"]}]}

# 全唐诗/表面结构字.json: a table of characters, no text field anywhere.
CHARACTERS = {"{上休下鳥}": [{"font": "𪀪", "unicode": "\\U0002A02A"}], "{上/貝}": [],
              "{不/几}": [{"font": "𠘶", "unicode": "\\U20636"}]}


def read(path, **kw):
    src = SourceConfig(name="s", format="json", paths=[str(path)], text_field="paragraphs", **kw)
    state = ReadState()
    items = [i for p in expand_paths(str(path)) for i in read_source_file(src, p, state)]
    return ([i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)],
            state.counters)


def write(path, value, indent=1):
    path.write_text(json.dumps(value, ensure_ascii=False, indent=indent), encoding="utf-8")
    return path


def test_a_book_of_parts_of_chapters_is_a_document_per_chapter_with_its_levels_in_metadata(tmp_path):
    docs, q, _ = read(write(tmp_path / "shenglvqimeng.json", SHENGLV), nested_collections=True, title_field="chapter")
    assert not q
    assert [d.text for d in docs] == [
        "一 東\n" + "\n".join(SHENGLV["content"][0]["content"][0]["paragraphs"]),
        "一 先\n" + SHENGLV["content"][1]["content"][0]["paragraphs"][0]]
    assert [d.id.rsplit("/", 1)[1] for d in docs] == ["shenglvqimeng.json#1", "shenglvqimeng.json#2"]
    book = {"title": "聲律啓蒙", "author": "車萬育", "abstract": SHENGLV["abstract"]}
    assert docs[1].metadata == {"chapter": "一 先", "collection_levels": [book, {"title": "下卷"}],
                                "collection_pointer": "/content/1/content/0"}


def test_a_poem_in_parts_is_a_level_too_and_every_poem_is_read(tmp_path):
    docs, q, _ = read(write(tmp_path / "qianjiashi.json", QIANJIA), nested_collections=True, title_field="chapter")
    assert not q
    assert [d.text.split("\n", 1)[0] for d in docs] == ["春眠", "幸蜀回至劍門", "落日放船好，輕風生浪遲。", "雨來沾席上，風急打船頭。"]
    parts = docs[2:]
    assert [d.metadata["subchapter"] for d in parts] == ["其一", "其二"]
    assert parts[1].metadata["collection_levels"] == [
        {"title": "千家詩", "author": "南宋謝枋得/明代王相"}, {"type": "五言律詩"},
        {"chapter": "攜妓納涼晚際遇雨", "author": "（唐）杜甫"}]
    assert parts[1].metadata["collection_pointer"] == "/content/1/content/1/paragraphs/1"
    assert docs[1].metadata["collection_levels"][-1] == {"type": "五言律詩"} and docs[1].metadata["author"] == "（唐）李隆基"


def test_one_source_reads_a_folder_of_files_nested_to_different_depths(tmp_path):
    """蒙学 as published: one object with the text, one level, two, three; an array of them and JSON
    Lines of them too. Every chapter and poem is a document, nothing quarantined; a file without
    levels reads as it always did."""
    folder = tmp_path / "mengxue"
    folder.mkdir()
    for name, value in [("sanzijing.json", SANZIJING), ("zengguang.json", ZENGGUANG), ("shenglv.json", SHENGLV),
                        ("qianjia.json", QIANJIA)]:
        write(folder / name, value)
    write(folder / "array.json", [ZENGGUANG, SHENGLV])
    (folder / "books.jsonl").write_text("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in (SANZIJING, SHENGLV)),
                                        encoding="utf-8")
    docs, q, counters = read(folder, nested_collections=True)
    assert not q
    by_file: dict[str, list[str]] = {}
    for d in docs:
        by_file.setdefault(d.id.rsplit("/", 1)[1].split("#")[0], []).append(d.id.rsplit("#", 1)[1])
    assert by_file == {"sanzijing.json": ["1"], "zengguang.json": ["1", "2"], "shenglv.json": ["1", "2"],
                       "qianjia.json": ["1", "2", "3", "4"], "array.json": ["1", "2", "3", "4"],
                       "books.jsonl": ["1", "2.1", "2.2"]}
    flat = next(d for d in docs if "sanzijing.json" in d.id)
    assert flat.text == "\n".join(SANZIJING["paragraphs"]) and "collection_levels" not in flat.metadata
    assert counters.get("json_read_as_jsonl") == 1


def test_without_the_option_the_file_says_which_option_reads_it(tmp_path):
    """Before, such a file was one missing_text item naming `records_field: content`, which reads
    the parts, not the chapters; in an array, each book one item saying only that the field is absent."""
    (item,) = read(write(tmp_path / "shenglv.json", SHENGLV))[1]
    assert item.reason == "missing_text" and item.records == 2
    assert "set nested_collections: true" in item.detail and "records_field" not in item.detail
    _, q, _ = read(write(tmp_path / "shenglv.json", [QIANJIA]))
    assert [i.reason for i in q] == ["missing_text"] and "set nested_collections: true" in q[0].detail
    # a plain wrapper of rows still names records_field
    (item,) = read(write(tmp_path / "zengguang.json", ZENGGUANG))[1]
    assert "set records_field: content" in item.detail and "nested_collections" not in item.detail


def test_what_holds_no_text_in_a_collection_is_quarantined_not_left_out(tmp_path):
    book = json.loads(json.dumps(SHENGLV))
    book["content"][0]["content"].append({"chapter": "二 冬"})      # a chapter without its text
    book["content"][1]["content"].append("二 蕭")                  # a chapter that is not an object
    docs, q, _ = read(write(tmp_path / "damaged.json", book), nested_collections=True)
    assert [d.metadata["collection_pointer"] for d in docs] == ["/content/0/content/0", "/content/1/content/0"]
    assert [(i.reason, i.id.rsplit("#", 1)[1]) for i in q] == [("missing_text", "2"), ("bad_row", "4")]
    assert "'paragraphs' is absent (the row's fields: 'chapter', 'collection_levels'" in q[0].detail
    # a part none of whose chapters holds text is one item, the part
    del book["content"][0]["content"][0]["paragraphs"]
    docs, q, _ = read(write(tmp_path / "damaged.json", book), nested_collections=True)
    assert len(docs) == 1 and [i.reason for i in q] == ["missing_text", "bad_row"]
    assert "the row's fields: 'title', 'content'" in q[0].detail
    # a file with nothing holding the text field: one item saying so
    docs, q, _ = read(write(tmp_path / "characters.json", CHARACTERS), nested_collections=True)
    assert docs == [] and [i.reason for i in q] == ["missing_text"]
    assert "'paragraphs' is absent (the row's fields: '{上休下鳥}'" in q[0].detail


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_a_row_that_keeps_a_field_of_the_levels_name_keeps_its_own_counted(tmp_path, fmt):
    book = {"title": "t", "content": [{"paragraphs": ["a"], "collection_levels": "mine"}]}
    p = tmp_path / f"b.{fmt}"
    p.write_text(json.dumps(book) + "\n", encoding="utf-8")
    src = SourceConfig(name="s", format=fmt, paths=[str(p)], text_field="paragraphs", nested_collections=True)
    state = ReadState()
    (doc,) = list(read_source_file(src, str(p), state))
    assert doc.text == "a" and doc.metadata == {"collection_levels": "mine"}
    assert state.counters["collection_levels_field_taken"] == 1
