"""spam_filter on look-alikes of its spam: pages about a thing a list names, Chinese question titles,
neutral words of banks and sports desks, North American numbers and Telegram names, and the
Chinese counterfeit goods."""
import pyarrow as pa

from stages.spam import SpamFilter
from stages.spam_rules import contact_handles


def _reasons(rows) -> list[str | None]:
    """Each (url, title, text) row's reason, None when kept."""
    t = pa.table({"id": [str(i) for i in range(len(rows))], "url": [r[0] for r in rows],
                  "title": [r[1] for r in rows], "text": [r[2] for r in rows]})
    f = SpamFilter()
    f.setup()
    return f.judge(t).reasons


def test_a_page_about_what_a_phrase_names_is_not_a_parasite_page():
    """One phrase through a topical page (a punk genre, an RV park's hookups, a city's 办证大厅) with its
    title naming it once stays; put in (a stuffed title, keywords set apart by spaces) it goes."""
    punk = ("Hardcore punk (also known as simply hardcore) is a punk rock genre. Hardcore bands such as Black "
            "Flag defined the sound. The D.C. hardcore scene centred on Dischord, New York hardcore had its own "
            "style. Hardcore spawned straight edge and melodic hardcore, post-hardcore and metalcore. Hardcore "
            "shows were held in small venues.")
    rv = ("Full hookup sites: 50 amp electric hookup, water hookup and sewer hookup at every site. Partial hookup "
          "sites have water and electric hookup only. Rates: full hookup $55 a night, partial hookup $42.")
    office = "深圳市出入境办证大厅一览\n" + "".join(
        f"{d}区出入境办证大厅：{d}区某路{k}号，办公时间：周一至周日 9:00-18:00\n" for k, d in
        enumerate(["福田", "罗湖", "南山", "宝安", "龙岗", "龙华", "光明"]))
    stuffed = "".join(f"{d}刻章 {d}刻章店 {d}刻公章\n" for d in ["福田", "罗湖", "南山", "宝安", "龙岗", "龙华"])
    glued = "".join(f"办证 {s}。" for s in ["今年以来我市持续深化改革", "市场监管部门积极推进企业开办便利化",
                                            "全市新登记市场主体同比增长", "下一步将继续加大政策支持力度",
                                            "各区县也纷纷出台配套政策", "企业负责人表示办事效率明显提升"])
    rows = [("https://en.wikipedia.org/wiki/Hardcore_punk", "Hardcore punk - Wikipedia", punk),
            ("https://www.lakesidervpark.example.com/rates/", "Full Hookup RV Sites & Rates", rv),
            ("http://gaj.sz.gov.cn/crj/bzdt/", "深圳市出入境办证大厅地址及办公时间", office),
            ("http://www.example.com/longgang/", "深圳刻章-深圳刻章店-龙岗刻章", stuffed),
            ("http://m.example.cn/a/56231.html", "本市要闻", glued)]
    assert _reasons(rows) == [None, None, None, "fake_invoice_repeat", "fake_invoice_repeat"]


def test_a_chinese_question_title_weighs_as_text():
    """延时喷剂有用吗？ asks (as "What is ...?" does); 延时喷剂哪里买？ asks for a seller."""
    text = "延时喷剂的主要成分是局部麻醉药。对部分早泄患者，延时喷剂确实有一定作用，但应在医生指导下使用。"
    rows = [("https://dxy.example.com/article/1", "延时喷剂有用吗？会有副作用吗？", text),
            ("https://dxy.example.com/article/2", "延时喷剂哪里买？", text)]
    assert _reasons(rows) == [None, "health_scam_title"]


def test_words_of_bank_tables_and_odds_stories_count_half_in_the_text_rule():
    """"minimum deposit" and "maximum deposit" (a bank's CD table), "betting odds" and "sportsbook" (a
    sports story): two such words, however often, are not two spam phrases."""
    cd = " ".join(f"{m}-month CD: 4.{m}% APY, minimum deposit $500, maximum deposit $250,000." for m in range(3, 9))
    odds = ("The Chiefs opened as favourites in the betting odds for the Super Bowl, a sportsbook said. "
            "Betting odds moved after the injury report.")
    assert _reasons([("https://bank.example.com/cd-rates", "CD Rates", cd),
                     ("https://espn.example.com/nfl/story", "Chiefs lead Super Bowl odds", odds)]) == [None, None]


def test_north_american_numbers_and_telegram_names_are_handles():
    assert contact_handles("WhatsApp: +1 (505) 555-0177.") == ["phone:+15055550177"]
    assert contact_handles("Call or text 24/7: (201) 555-0188.") == ["phone:2015550188"]
    assert contact_handles("Call now 1-888-555-0142.") == ["phone:18885550142"]
    assert contact_handles("Contact him on Telegram @kevinrecoverypro or TG: @evelyn_fx") == \
        ["telegram:kevinrecoverypro", "telegram:evelyn_fx"]
    # a group of a longer number, a bare @mention and a part number are none
    assert contact_handles("ISBN 978-1-888-555-0142, follow @kevinrecoverypro, part 123-456-7890") == []
    # a directory of plumbers with numbers sells nothing a list names
    plumbers = "\n".join(f"{k}. Smith Plumbing - (217) 555-01{k}0 - Drain cleaning, water heaters." for k in range(1, 6))
    assert _reasons([("https://www.yellowpages.example.com/plumbers", "Plumbers in Springfield", plumbers)]) == [None]


def test_chinese_counterfeit_ads_go_and_reports_about_such_trades_stay():
    """Chinese counterfeit-goods shops (高仿, 一比一复刻) had no list; the news and the buyer's guide
    about them stay. Recall lists for other trades (essay mills, escort ads, game gold, spell casters,
    fake passports, task scams) were tried and left out: each removed news stories and guides about
    its trade (a ministry's notice against 论文代写, a police story on a call-girl racket, a BBC
    story on a fake-passport ring, an article on RuneScape's gold economy, a campus anti-fraud page)."""
    spam = [("http://shop.example.com/", "顶级高仿包包一比一 原单复刻奢侈品货源",
             "顶级高仿包包，专柜品质，一比一复刻。加微信看实拍：ahuo8899")]
    assert _reasons(spam) == ["counterfeit_title"]
    reports = [
        ("https://www.xinhuanet.com/legal/2024-01/01/c_1.htm", "新华社：警方破获高仿手表制售案",
         "记者从公安部获悉，警方近日破获一起制售高仿手表案件，查获高仿手表三千余块、高仿包包五百余个。"
         "犯罪嫌疑人通过微信销售一比一复刻名表。警方提醒消费者，购买高仿名表属于售假违法行为。"),
        ("https://www.zhihu.com/question/1", "正品还是高仿？教你辨别真假名表",
         "很多人问怎么辨别高仿手表。第一看机芯，第二看做工，第三看证书。一比一复刻表虽然外观接近，但细节差距明显。"
         "购买名表请到官方专柜。"),
        ("https://www.moe.gov.cn/jyb_xwfb/2024/t2024.html", "教育部：严厉打击论文代写代发行为",
         "教育部近日印发通知，要求各高校严厉打击论文代写、代发论文等学术不端行为。通知指出，对于购买论文代写服务的学生，"
         "一经查实，取消学位。各地教育部门要加强监管。"),
        ("https://timesofindia.indiatimes.com/city/mumbai/police-bust-call-girls-racket/articleshow/1.cms",
         "Mumbai police bust call girls racket in Andheri hotel",
         "The Mumbai police crime branch on Sunday busted a call girls racket operating from a hotel in Andheri and "
         "arrested two people. Police said the accused contacted customers online. A case has been registered."),
    ]
    assert _reasons(reports) == [None] * len(reports)
