"""Writing-system detection: which script a text is mostly written in, and how much of it is CJK.

One lookup table maps every Unicode code point to a script category, so a whole batch is
classified with a handful of numpy operations: the batch's text is decoded to code points once,
looked up, and counted per document with one `bincount`. Only letters count towards the
dominant script (digits, punctuation and symbols map to "other"); scripts not listed here are
not counted, so a text written only in them is reported as "Zyyy" like one with no letters.

Han text is split into Simplified ("Hans") and Traditional ("Hant") by counting characters that
exist in only one of the two standards. The lists below were derived with OpenCC (s2t, s2tw,
s2hk) from the ~1,500 most frequent Han characters of a Simplified web corpus, keeping only
characters whose conversion changes them, and dropping by hand the characters that are *also*
normal Traditional characters after the 1956 merges (后 干 里 台 于 面 只 系 ...) and those
seen in real Traditional pages. The Traditional list holds every OpenCC Traditional form of
those frequent characters that OpenCC's t2s changes back, minus 乾 著 覆 藉 瞭 (also used in
Simplified text). "Jpan" is reported when kana make up
at least `KANA_SHARE_FOR_JAPANESE` of the Han+kana letters, since Japanese prose is rarely
below ~25 % kana while Chinese uses kana only in the odd brand name.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

KANA_SHARE_FOR_JAPANESE = 0.10
# One CJK character (Han, kana, Hangul syllable) stands for a syllable or a word, where an
# alphabet needs ~3 letters: weighting it so keeps a Chinese tech post full of code identifiers
# "Chinese" instead of "Latin".
CJK_LETTER_WEIGHT = 3
# Simplified vs Traditional is decided when one kind outnumbers the other this many times.
HAN_VARIANT_MARGIN = 3.0

_SIMPLIFIED_ONLY = (
    "个这为来时会国还过对学发说点业没们现经开实机动长关价进样间电务觉与场种当问产错资将题车东从别员书较区两并给万应环师单买让"
    "无网数欢该头总计据处门话质调气线设专结费记医带强导爱报儿认证运类视选预风变马见装级节约评规热难议联传鱼办钱转戏营张达边请"
    "项统组图广术条赛备饭观试险续确乐况满语论习队参盘购创号决领标户称华销识尔团读宝随显优适势态护责则妈养验亚军红战维够简听获"
    "连响税际刚属鲜许楼课画汤阳亲虽离却构脑吗兴权贵协义终鸡亿谢济极积艺讲货剧写卖编双负轻测换药职块远声涨锅择疗黄币龙帮严监检"
    "荐击细岁罗县仅诉补财摄举围减争铁压断码宫银园执继绝谈状镇审温飞汇毕担丝兰愿汉刘层独酱绍陈轮坚欧阴录党烧稳训紧吨伤纪订灵练"
    "频礼顾闻临尝怀载饮织纳脸侧绩阅净损讯络异虾奖词梦础卫顺额丽蛮宁诊厅遗杨杂须圣综浓乱辆启陆输储询键乡谁误麦阶贴败贷韩蓝违静"
    "脚奥针访妇馆赞虑农润绿库旧释废钓讨纸寿笔届弹胜筑触脱岛盖颜厂扩译恋惊颖渐绪坏杀庆挥伦账惯孙归档拥肤顿厨齐顶饱吴谓恶纯庄贝"
    "链抢宽缩饼灯暂虚饰竞妆鉴镜页辑凉猪赔烟诺赚辅摆咨驾龄寻驶婴凯扬递撑鲁烦赶钢辖纷挂劲诚桥罚洁阵献沟颈骗鸭励缓烂辈筹圆闹肾趋"
    "忆弃辩墙诗隐赵乌劳矿轨拟奋腻丢侦岗脏荣疯懒扫迟娱诸冯仪绕横厌逊缘晓详萨残炼仓腾夺闲潜彻饿纹讼"
)
_TRADITIONAL_ONLY = (
    "丟並亂亞佔來倉個們倫側偵備傳傷僅價儀億優儲兒內兩凱別則剛創劃劇劉勁動務勝勞勢勵匯區協卻厭參吳員問啓啟喫單嗎嘗噸嚴國圍園圓"
    "圖團執堅報場塊壓壞壽夠夢夥奧奪奮妝娛婦媽嬰孫學宮實寧審寫寬寶將專尋對導屆層屬島崗師帶幣幫幹幾庫廚廠廢廣廳張強彈後從復徵徹"
    "惡愛態慣慮慶憶應懶懷戀戰戲戶掃掛採揚換揮損搶撐擁擇擊擔據擬擴擺攝敗數斷於時暫曉書會東條棄楊業極榮構樂樓標樣橋機橫檔檢權歐"
    "歡歲歷歸殘殺氣汙決沒況涼淨減測湯準溝溫滿漢漲漸潔潛潤濃濟灣為烏無煉煙煩熱燈燒營爛爭爲爾牀牆狀獎獨獲獻現環產畢畫異當瘋療發"
    "盡監盤眾確碼礎礦祕禮稅種稱積穎穩競筆節範築簡籌籤紀約紅紋納純紙級紛細紹終組結絕絡給統絲經綜綠維網緊緒線緣編緩練縣縮總績織"
    "繞繼續罰羅羣義習聖聞聯聲職聽脫腎腦腳膚膩臉臨臺與興舉舊莊華萬葉蓋薦薩藍藝藥蘇蘭處虛號蝦蠻衆術衛衝裏補裝裡見規視親覺觀觸訂"
    "計訊討訓記訟訪設許訴診評詞詢試詩話該詳認語誠誤說説誰課調談請論諮諸諾謂講謝證識譯議護讀變讓豐豬貝負財貨責貴買貸費貼資賠賣"
    "質賬賺購賽贊趕趙趨車軌軍軟較載輔輕輛輩輪輯輸轄轉辦辯農這連進遊運過達違遜遞遠適遲選遺還邊鄉醫醬釋針釣銀銷鋼錄錢錯鍋鍵鍾鎮"
    "鏈鏡鐵鑑長門開閒間閱閲關陣陰陳陸陽隊階際隨險隱雖雙雜雞離難雲電靈靜韓響頁頂項順須預頓領頭頸頻題額顏願類顧顯風飛飯飲飽飾餅"
    "養餓餘館馬馮駕駛騙騰驗驚髒體鬥鬧鬱魚魯鮮鴨鹹麗麥麼黃點黨齊齡龍"
)

# Categories in the lookup table. Letter scripts first, in the order ties are broken.
OTHER, SPACE = 0, 1
LETTER_SCRIPTS: tuple[str, ...] = (
    "Latn", "Cyrl", "Grek", "Arab", "Hebr", "Deva", "Beng", "Taml", "Thai", "Hang", "Armn", "Geor",
    "Guru", "Gujr", "Orya", "Telu", "Knda", "Mlym", "Sinh", "Laoo", "Tibt", "Mymr", "Khmr", "Ethi",
)
_FIRST_LETTER = 2
_CAT = {s: _FIRST_LETTER + i for i, s in enumerate(LETTER_SCRIPTS)}
HAN, HAN_SIMPLIFIED, HAN_TRADITIONAL, KANA = range(_FIRST_LETTER + len(LETTER_SCRIPTS),
                                                   _FIRST_LETTER + len(LETTER_SCRIPTS) + 4)
N_CATEGORIES = KANA + 1

_RANGES: dict[str, list[tuple[int, int]]] = {  # inclusive code point ranges
    "Latn": [(0x41, 0x5A), (0x61, 0x7A), (0xAA, 0xAA), (0xBA, 0xBA), (0xC0, 0xD6), (0xD8, 0xF6),
             (0xF8, 0x2AF), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF), (0xAB30, 0xAB6F),
             (0xFB00, 0xFB06), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)],
    "Cyrl": [(0x400, 0x482), (0x48A, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)],
    "Grek": [(0x370, 0x373), (0x376, 0x37D), (0x37F, 0x386), (0x388, 0x3FF), (0x1F00, 0x1FFF)],
    "Arab": [(0x610, 0x61A), (0x620, 0x65F), (0x66E, 0x6D3), (0x6D5, 0x6FF), (0x750, 0x77F),
             (0x870, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)],
    "Hebr": [(0x591, 0x5BD), (0x5BF, 0x5BF), (0x5C1, 0x5C2), (0x5C4, 0x5C5), (0x5C7, 0x5F2),
             (0xFB1D, 0xFB4F)],
    "Deva": [(0x900, 0x963), (0x971, 0x97F), (0xA8E0, 0xA8FF)],
    "Beng": [(0x980, 0x9E3), (0x9F0, 0x9FF)],
    "Guru": [(0xA00, 0xA65), (0xA70, 0xA7F)],
    "Gujr": [(0xA80, 0xAE5), (0xAF0, 0xAFF)],
    "Orya": [(0xB00, 0xB65), (0xB70, 0xB7F)],
    "Taml": [(0xB80, 0xBE5), (0xBF0, 0xBFF)],
    "Telu": [(0xC00, 0xC65), (0xC70, 0xC7F)],
    "Knda": [(0xC80, 0xCE5), (0xCF0, 0xCFF)],
    "Mlym": [(0xD00, 0xD65), (0xD70, 0xD7F)],
    "Sinh": [(0xD80, 0xDFF)],
    "Thai": [(0xE01, 0xE3A), (0xE40, 0xE4E)],
    "Laoo": [(0xE80, 0xECF), (0xEDC, 0xEFF)],
    "Tibt": [(0xF00, 0xF1F), (0xF2A, 0xFFF)],
    "Mymr": [(0x1000, 0x103F), (0x1050, 0x109F)],
    "Geor": [(0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F)],
    "Armn": [(0x531, 0x588), (0xFB13, 0xFB17)],
    "Ethi": [(0x1200, 0x139F), (0x2D80, 0x2DDF)],
    "Khmr": [(0x1780, 0x17DD), (0x19E0, 0x19FF)],
    "Hang": [(0x1100, 0x11FF), (0x3131, 0x318E), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xFFA0, 0xFFDC)],
}
_HAN_RANGES = [(0x2E80, 0x2FDF), (0x3005, 0x3005), (0x3007, 0x3007), (0x3021, 0x3029),
               (0x3038, 0x303B), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
               (0x20000, 0x323AF)]
# U+30FB (katakana middle dot) is common in Chinese text too, so it is not counted as kana.
_KANA_RANGES = [(0x3041, 0x3096), (0x3099, 0x309F), (0x30A0, 0x30FA), (0x30FC, 0x30FF),
                (0x31F0, 0x31FF), (0xFF66, 0xFF9D), (0x1B000, 0x1B16F)]
# Whitespace and invisible joiners/BOM: not "content" for cjk_ratio.
_SPACE_RANGES = [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
                 (0x2000, 0x200D), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x2060),
                 (0x3000, 0x3000), (0xFEFF, 0xFEFF)]


def _build_lookup() -> np.ndarray:
    lut = np.zeros(0x110000, dtype=np.uint8)
    for script, ranges in _RANGES.items():
        for lo, hi in ranges:
            lut[lo:hi + 1] = _CAT[script]
    for cat, ranges in ((HAN, _HAN_RANGES), (KANA, _KANA_RANGES), (SPACE, _SPACE_RANGES)):
        for lo, hi in ranges:
            lut[lo:hi + 1] = cat
    lut[[ord(c) for c in _SIMPLIFIED_ONLY]] = HAN_SIMPLIFIED
    lut[[ord(c) for c in _TRADITIONAL_ONLY]] = HAN_TRADITIONAL
    return lut


_LOOKUP = _build_lookup()
_LETTER_COLS = np.arange(_FIRST_LETTER, _FIRST_LETTER + len(LETTER_SCRIPTS))
_HANG_COL = _CAT["Hang"]


def _as_string_array(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if not isinstance(texts, pa.Array):
        texts = pa.array(list(texts), pa.large_string())
    if pa.types.is_string(texts.type):
        texts = texts.cast(pa.large_string())
    elif not pa.types.is_large_string(texts.type):
        raise TypeError(f"expected strings, got {texts.type}")
    return texts.fill_null("")


def category_counts(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per-document counts of each lookup category: an int64 array (n_docs, N_CATEGORIES).

    The batch's UTF-8 bytes are decoded in one call and every code point is looked up at once."""
    arr = _as_string_array(texts)
    n = len(arr)
    if n == 0:
        return np.zeros((0, N_CATEGORIES), dtype=np.int64)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
    data = arr.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        return np.zeros((n, N_CATEGORIES), dtype=np.int64)
    raw = memoryview(data)[offsets[0]:offsets[-1]]
    # Arrow strings are valid UTF-8, so this decode cannot fail.
    cps = np.frombuffer(str(raw, "utf-8").encode("utf-32-le"), dtype=np.uint32)
    lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False).astype(np.int64)
    # uint32 bins: half the memory traffic of int64, and n * N_CATEGORIES is far below 2**32.
    bins = np.repeat(np.arange(n, dtype=np.uint32) * np.uint32(N_CATEGORIES), lengths)
    bins += _LOOKUP[cps]
    flat = np.bincount(bins, minlength=n * N_CATEGORIES)
    return flat.reshape(n, N_CATEGORIES)


def scripts_from_counts(counts: np.ndarray) -> list[str]:
    """The dominant script of each row of `category_counts`."""
    if len(counts) == 0:
        return []
    han = counts[:, HAN] + counts[:, HAN_SIMPLIFIED] + counts[:, HAN_TRADITIONAL]
    kana = counts[:, KANA]
    # Han and kana compete as one group: Japanese mixes both in every sentence.
    groups = np.concatenate([counts[:, _LETTER_COLS], (han + kana)[:, None]], axis=1)
    groups[:, [_HANG_COL - _FIRST_LETTER, -1]] *= CJK_LETTER_WEIGHT
    best = groups.argmax(axis=1)
    top = groups[np.arange(len(groups)), best]
    cjk_group = len(LETTER_SCRIPTS)
    names = np.array(list(LETTER_SCRIPTS) + ["Hani"], dtype=object)
    out = names[best]
    out[top == 0] = "Zyyy"
    is_cjk = (best == cjk_group) & (top > 0)
    simp = counts[:, HAN_SIMPLIFIED].astype(np.float64)
    trad = counts[:, HAN_TRADITIONAL].astype(np.float64)
    japanese = is_cjk & (kana >= KANA_SHARE_FOR_JAPANESE * (han + kana))
    out[is_cjk & ~japanese & (simp > 0) & (simp >= HAN_VARIANT_MARGIN * trad)] = "Hans"
    out[is_cjk & ~japanese & (trad > 0) & (trad >= HAN_VARIANT_MARGIN * simp)] = "Hant"
    out[japanese] = "Jpan"
    return out.tolist()


def cjk_scripts_from_counts(counts: np.ndarray) -> list[str]:
    """The script the CJK letters (Han, kana, Hangul) of each row of `category_counts` make on
    their own, every other letter ignored: "Hans"/"Hant"/"Hani" for Han read as Chinese, "Jpan"
    when kana reach `KANA_SHARE_FOR_JAPANESE`, "Hang" when Hangul is at least as common as Han and
    kana, "Zyyy" for none. The same rule as `scripts_from_counts`, for the CJK part of a text in another script
    (a Chinese post full of code is "Latn", its Han text still reads as Chinese)."""
    cjk = np.zeros_like(counts)
    cols = [HAN, HAN_SIMPLIFIED, HAN_TRADITIONAL, KANA, _HANG_COL]
    cjk[:, cols] = counts[:, cols]
    return scripts_from_counts(cjk)


def cjk_ratio_from_counts(counts: np.ndarray) -> np.ndarray:
    """Share of non-space characters that are Han, kana or Hangul (float64; 0 for empty)."""
    if len(counts) == 0:
        return np.zeros(0, dtype=np.float64)
    cjk = counts[:, [HAN, HAN_SIMPLIFIED, HAN_TRADITIONAL, KANA, _HANG_COL]].sum(axis=1)
    visible = counts.sum(axis=1) - counts[:, SPACE]
    return np.divide(cjk, visible, out=np.zeros(len(counts), dtype=np.float64), where=visible > 0)


def scripts_batch(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> list[str]:
    """`dominant_script` for every text of a batch (None counts as empty)."""
    return scripts_from_counts(category_counts(texts))


def cjk_ratio_batch(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    return cjk_ratio_from_counts(category_counts(texts))


def dominant_script(text: str) -> str:
    """ISO 15924 code of the script most of the text's letters are written in (CJK characters
    weigh CJK_LETTER_WEIGHT letters).

    Han text gives "Hans" or "Hant" (or "Hani" when undecidable), Han mixed with enough kana
    gives "Jpan", and a text without letters (of a listed script) gives "Zyyy"."""
    return scripts_batch([text])[0]


def cjk_ratio(text: str) -> float:
    """Share of the non-space characters that are CJK ideographs, kana or Hangul."""
    return float(cjk_ratio_batch([text])[0])
