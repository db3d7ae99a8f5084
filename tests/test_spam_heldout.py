"""spam_filter on pages written apart from the lists (held out): the lawful trades a contact-rule
category preys on (hospital departments, doctors, pharmacies, law firms, a urologist) give their
phone numbers and stay, the ads of those trades (a cure promised, a refund, a loan for the
blacklisted) go; news, statistics, regulation and reference pages about the gambling industry, in
Macau's and Hong Kong's words (博彩, not 赌博) and in English, stay, betting sites that boast of a
licence go."""
import pyarrow as pa

from stages.spam import SpamFilter
from tests.test_spam_probe24 import _reasons as _judge_rows


def test_hospital_pharmacy_and_law_firm_pages_with_a_phone_stay():
    """A department's, a doctor's, a pharmacy's and a law firm's words (患者, 症状, 中药, 妇科, 网贷,
    信用卡, Viagra) beside a booking number are no ad; a surgeon's 根治术 promises no cure."""
    rows = [
        ("https://www.zjhospital.example.cn/ks/ruxian", "乳腺外科 - 某某大学附属医院",
         "乳腺外科是省级重点学科，开展乳腺癌改良根治术、保乳手术及乳房重建手术，年手术量2000余例。乳腺癌早期症状"
         "不明显，部分患者可触及无痛性肿块。建议40岁以上女性每年进行乳腺超声检查。门诊时间：周一至周六上午。"
         "咨询电话：0571-8778 1234"),
        ("https://www.example-tcm.cn/zhuanjia/li", "李某 副主任中医师",
         "李某，副主任中医师，擅长运用中药调理月经不调、宫寒痛经、不孕症及更年期综合征，对妇科炎症的中西医结合治疗"
         "有丰富经验。患者就诊时请携带既往检查资料。出诊时间：周三全天。预约挂号电话：020-8188 6600"),
        ("https://www.rmyy.example.cn/ks/yyk", "临床营养科",
         "临床营养科为住院及门诊患者提供营养评估与膳食指导。减重门诊针对肥胖及代谢综合征患者，制定个体化的减肥"
         "方案，不推荐自行服用减肥药。常见症状如乏力、头晕者，可同时到内分泌科就诊。预约电话：0512-6778 0001"),
        ("https://www.example-pharmacy.cn/", "康民大药房",
         "本店为医保定点药房，经营中西成药、中药饮片、保健品及医疗器械。执业药师全天在岗，可提供用药咨询。处方药凭"
         "医生处方销售。营业时间 8:00-22:00，送药上门电话：0755-2688 1234"),
        ("https://www.examplelaw.cn/team/zhang", "张律师 - 某某律师事务所",
         "张律师主要办理民间借贷、网贷纠纷、信用卡欠款及金融借款合同纠纷案件，曾代理多起借款人与小额贷款公司的"
         "利息争议诉讼。联系电话：13601234567"),
        ("https://www.exampleurology.com/ed", "Erectile Dysfunction Treatment | Lakeside Urology",
         "Erectile dysfunction affects about half of men over 50. Our urologists will review your health history and "
         "may prescribe tablets such as sildenafil (Viagra) or tadalafil (Cialis), or discuss injections and devices. "
         "Call (312) 555-0147 to book a consultation."),
    ]
    assert _judge_rows(rows) == [None] * len(rows)


def test_ads_of_those_trades_still_go():
    """The same trades' ads promise: a cure in one course, no relapse, a refund; no side effects, no
    rebound; money despite a bad credit record; pills without a prescription."""
    rows = [
        ("http://www.example-jk.cn/fk/", "妇科炎症专科",
         "妇科炎症反复发作？我院专家采用纯中药疗法，三天见效，一个疗程根治，不复发！已帮助数万名患者摆脱困扰。"
         "咨询热线：0571-8666 8888，或加主任微信：fk12345"),
        ("http://shou.example.cn/", "月瘦20斤的秘诀",
         "喝了就瘦！纯植物提取，无副作用，不反弹，一个月瘦20斤。已有上万名姐妹成功瘦身，效果看得见。"
         "想瘦的姐妹加微信：shou6688 领取试用装"),
        ("http://dai.example.cn/", "急用钱找我们",
         "急用钱？无视征信，门槛低，下款快，额度5千到20万，利息低。加微信：dk8899 或电话 13712345678"),
        ("http://rx.example.net/", "Men's health supplies",
         "Viagra and Cialis shipped discreetly in 24 hours, no prescription needed. WhatsApp +1 (646) 555-0199 to order."),
    ]
    assert _judge_rows(rows)[:3] == ["health_scam_contact", "health_scam_contact", "loans_contact"]
    assert _judge_rows(rows)[3].startswith("pharma_")


def test_gambling_industry_news_statistics_regulation_and_reference_stay():
    rows = [
        ("https://www.exmoo.example.com/macau/2024/01/02/1.html", "澳门去年博彩毛收入1830亿元 按年增长3.3倍",
         "澳门博彩监察协调局今日公布数据显示，2023年全年幸运博彩毛收入为1830亿澳门元，按年上升333.8%，约为2019年"
         "的62.8%。其中12月博彩毛收入为185亿元，环比增长6.6%。特区政府2023年财政预算案预计全年博彩毛收入1300亿元，"
         "实际收入远超预期。分析师认为，随着访澳旅客恢复，中场业务已接近疫情前水平。六家博彩公司中，银河娱乐与金沙"
         "中国第四季度均录得盈利。博彩税收仍占政府经常性收入的八成以上。"),
        ("https://news.example.hk/finance/555", "濠賭股全線上升 金沙中國升逾5%",
         "據彭博報道，澳門博彩監察協調局周一公布，上月博彩毛收入按年增長逾四成。消息帶動濠賭股全線上升，金沙中國升"
         "5.2%，銀河娛樂升4.1%。有分析師指出，博彩公司第三季業績料勝預期，但內地經濟放緩或影響中場客源。業界估計"
         "全年博彩收入可達2000億元，新批給合同要求博彩企業增加非博彩項目投資。"),
        ("https://www.example.cn/world/2024/uk-gambling.html", "英国发布博彩业改革白皮书 网络老虎机设下注上限",
         "英国政府日前发布博彩业改革白皮书，提出对网络老虎机设置每次下注2至5英镑的上限，并授权英国博彩委员会对博彩"
         "公司加强监管。白皮书还建议向博彩公司征收法定税费，用于资助赌博成瘾的研究与治疗。据英国媒体报道，英国博彩业"
         "年收入约140亿英镑，其中线上业务约占四成。业界人士表示，新规可能使部分博彩公司的营收下降。"),
        ("https://www.example.cn/econ/2024/0301.html", "澳门GDP恢复至疫情前八成 非博彩元素占比提升",
         "澳门统计暨普查局公布，去年澳门本地生产总值实质增长80.5%，恢复至2019年的八成左右。博彩服务出口按年上升"
         "335%，博彩业仍是经济的主要支柱，但会展、旅游、中医药等非博彩产业占比有所提升。特区政府表示，将继续推动"
         "经济适度多元发展，要求六家博彩公司在新的批给期内投资逾千亿元发展非博彩项目。"),
        ("https://zh.wikipedia.example.org/wiki/老虎机", "老虎机 - 维基百科，自由的百科全书",
         "老虎机是一种博彩用的电子游戏机，起源于19世纪末的美国。玩家投币后拉动拉杆或按下按钮，转轮停止时若图案连成"
         "一线即可获得奖金。现代老虎机由随机数生成器决定结果，赌场优势一般在2%至15%之间。老虎机是赌场收入的重要"
         "来源，在美国赌场中约占博彩收入的六成，在澳门则以百家乐为主。"),
        ("https://www.example.com/news/macau-ggr", "Macau's gaming revenue up 42% year-on-year",
         "Macau's casino operators generated 16 billion patacas in gross gaming revenue in November, up 42% "
         "year-on-year, the Gaming Inspection and Coordination Bureau said. Analysts said mass-market revenue had "
         "recovered. Online casino gaming remains banned in Macau, and the new concession contracts require operators "
         "to invest in non-gaming attractions."),
        ("https://en.wikipedia.example.org/wiki/Online_casino", "Online casino - Wikipedia",
         "Online casinos, also known as virtual casinos or internet casinos, are online versions of traditional "
         "casinos. An online casino lets gamblers play casino games such as slots, roulette and blackjack over the "
         "Internet. Many online casinos offer sign-up bonuses such as a welcome bonus or free spins, which usually carry "
         "wagering requirements. The first online casino opened in 1994. Online gambling is regulated by licensing "
         "authorities such as the UK Gambling Commission; in the United States it is legal in a few states."),
    ]
    assert _judge_rows(rows) == [None] * len(rows)


def test_betting_sites_that_boast_a_licence_still_go():
    """A casino site says it is licensed and regulated (持有牌照，受监管; licensed and regulated by...):
    no report words; a hijacked page's encyclopedia-looking title still sells."""
    rows = [
        ("http://www.amyh888.example.com/", "澳门银河娱乐场官网-持牌正规博彩平台",
         "澳门银河娱乐场官网持有菲律宾政府颁发的博彩牌照，受监管，资金安全。真人百家乐、老虎机、体育投注应有尽有，"
         "注册送38元体验金，首存优惠100%，24小时提款秒到。"),
        ("http://www.bc-news.example.cn/a/88.html", "博彩公司排名-正规博彩平台推荐",
         "2024年最新博彩公司排名，精选十大正规博彩平台，均持有合法牌照并受监管。注册即送彩金，首存加赠，天天返水。"),
        ("http://www.example.com/ggr/", "Online Casino Real Money - Licensed & Regulated",
         "Play at the best online casino for real money. Every casino we list is licensed and regulated. Claim your "
         "welcome bonus and 200 free spins, no deposit bonus codes updated daily. Sign up now!"),
        ("http://www.example.org/wiki/bjl", "百家乐官网注册送彩金 - 维基百科",
         "今年第一季度，全国规模以上工业增加值同比增长6.1%，国家统计局新闻发言人表示，国民经济开局良好。"),
    ]
    reasons = _judge_rows(rows)
    assert all(r is not None and r.startswith("gambling_") for r in reasons), reasons
    assert reasons[-1] == "gambling_title"


def test_field_lines_count_only_beside_an_ad_word(tmp_path):
    """`field: word` lines (a trade's own words) add to the contact rule's weight only where a
    `contact:` or text phrase of the list is found too; no other rule reads them."""
    extra = tmp_path / "xx_tutoring.txt"
    extra.write_text("guaranteed grades\t2\ncontact: pass for sure\nfield: tutor\t0.5\nfield: lessons\t0.5\n"
                     "field: exam\t0.5\nfield: maths\t0.5\n", encoding="utf-8")
    stage = SpamFilter(lists=[], extra_list_files=[str(extra)])
    school = "Our maths tutor gives lessons for the exam. Call (503) 555-0142."
    ad = "Our maths tutor gives lessons: pass for sure in the exam. Call (503) 555-0142."
    farm = "tutor lessons exam maths " * 20
    res = stage(pa.table({"id": ["0", "1", "2"], "text": [school, ad, farm]}))
    assert res.removed.column("reason").to_pylist() == ["tutoring_contact"]
    assert res.kept.column("id").to_pylist() == ["0", "2"]

