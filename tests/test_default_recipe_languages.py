"""The default recipe's language stage on the kinds of text a Chinese–English corpus holds."""
from pathlib import Path

import pyarrow as pa

from stages.calibrate import recipe_filters

REPO = Path(__file__).resolve().parents[1]

# Written Cantonese as Hong Kong forums and news write it (嘅 咗 唔 係 冇 啲): lid.176 labels it
# yue, apart from zh; the default recipe listed only zh and removed it as language_not_kept.
CANTONESE = [
    "我哋今日去咗旺角食嘢，啲嘢食好好味，不過排隊排咗成個鐘，真係好攰。下次一定要早啲去，唔係又冇位。",
    "而家啲細路成日玩手機，返到屋企都唔同屋企人傾偈，做家長嘅真係好頭痛，唔知點算好。",
    "呢間餐廳嘅叉燒飯係全港最好食嘅，老闆話佢哋每日都係新鮮燒嘅，冇用雪藏肉，所以好多人專登過嚟食。",
]


def test_the_default_recipe_keeps_written_cantonese():
    language = dict(recipe_filters(REPO / "recipes" / "default.yaml"))["language"]
    table = pa.table({"id": [str(i) for i in range(len(CANTONESE))], "text": CANTONESE})
    result = language(table)
    removed = result.removed.column("reason").to_pylist() if result.removed is not None else []
    assert "language_not_kept" not in removed        # a short one may still fall below the score
    assert result.kept.column("language").to_pylist().count("yue") >= 2
