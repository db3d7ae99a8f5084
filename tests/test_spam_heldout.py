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



# --- spam_filter 11: what a review found kept by version 10 --------------------------------------
# Casino and tipster pages open as an encyclopedia or a revenue story does (起源于, 庄家优势, 分析师,
# 业绩, 按年, originated, house edge, also known as) and then urge the reader to sign up.
AFFILIATE_PAGES = [
    ("https://blog.example.org/post/123", None,
     "Play baccarat online at LuckyStar Casino! Baccarat originated in Italy in the 15th century. Our online "
     "casino offers the lowest house edge: just 1.06% on the banker bet. Claim your casino bonus of 200% up to "
     "$1000 and free spins today. Best online casino for real money baccarat, roulette, slots and blackjack. "
     "Sign up now, deposit and win! Online casino bonus codes, free spins no deposit, live casino."),
    ("https://blog.example.org/post/124", None,
     "皇冠娱乐城百家乐在线投注，百家乐起源于意大利，庄家优势仅1.06%。注册即送彩金，首存送100%，网上赌场信誉第一，"
     "真人百家乐、轮盘、老虎机在线投注，24小时提款秒到账。皇冠娱乐城是亚洲最大的网上博彩平台，百家乐技巧、"
     "百家乐必胜法，立即注册领取彩金。"),
    ("https://blog.example.org/post/125", None,
     "资深分析师今日足球推荐，竞彩足球稳胆推荐，业绩连红！加入我们的足球投注平台，注册送彩金，亚洲盘口分析，"
     "外围投注，足球博彩平台首存优惠，百家乐、真人娱乐、网上赌场，体育投注平台推荐。"),
    ("https://www.royalace-example.com/blackjack-guide", "Blackjack Guide - RoyalAce",
     "Blackjack, also known as twenty-one, originated in French casinos around 1700. The goal is to beat the "
     "dealer without going over 21. With basic strategy the house edge is just 0.5%, the lowest of any casino "
     "game. Play blackjack online at RoyalAce: claim your 100% welcome bonus up to $500 plus 50 free spins. "
     "Sign up now and start winning real money at the best online casino!"),
    ("https://roulette-guide.example.net/history", "The History of Roulette",
     "Roulette originated in 18th-century France, where the mathematician Blaise Pascal is said to have "
     "invented an early form of the wheel. The single-zero European wheel has a house edge of 2.7%, the "
     "American double-zero wheel 5.26%. Our analysts ranked the top sites for roulette online: get a no deposit "
     "bonus of $25 at SpinPalace, then a 150% deposit bonus on your first deposit. Join now - T&Cs apply, 18+."),
    ("https://www.pokies-example.com.au/", "Pokies: history and the best sites",
     "Slot machines, also known as fruit machines or pokies, originated in San Francisco in 1894 with "
     "Charles Fey's Liberty Bell. Modern real money slots use random number generators and pay back 92-97%. "
     "Today the best online casino sites for Australians offer hundreds of pokies and free spins. Claim your "
     "welcome bonus of A$1000 + 100 free spins at JackpotCity. Register now and play slots tonight!"),
    ("https://tips.example.co.uk/", "Football Tips Today",
     "Our analysts have posted a 68% strike rate year-on-year across the Premier League and Championship. "
     "Today's sports betting tips: Arsenal to win and both teams to score at 2.10, over 2.5 goals in the late "
     "kick-off. Bet now at our partner sportsbook and get a welcome bonus of £30 in free bets. New customers "
     "only, min deposit £10, sign up today."),
    ("https://www.holdem-example.com/", "Texas Hold'em Rules and History",
     "Texas hold'em, also known as hold'em, originated in Robstown, Texas in the early 1900s and reached Las "
     "Vegas in 1967. Each player gets two hole cards and shares five community cards. Play online poker "
     "at AceKing Poker: claim your first deposit bonus of 100% up to $600 and enter our freeroll tournaments. "
     "Download the app and sign up today - online casino, poker and live dealer tables 24/7."),
    ("http://www.example-bjl.cn/jq/", "轮盘玩法介绍",
     "轮盘起源于18世纪的法国，欧式轮盘只有一个零，庄家优势为2.7%，美式轮盘则有两个零。现在在线上也能玩到"
     "真人轮盘：金沙娱乐城官网注册即送58元彩金，首存加赠100%，24小时提款秒到，真人荷官在线发牌。"),
    ("http://www.example-21d.cn/", "二十一点的规则和技巧",
     "二十一点起源于法国，又称黑杰克，是赌场中赌场优势最低的游戏之一，运用基本策略可以把赌场优势降到0.5%。"
     "想实战练习？太阳城娱乐在线投注平台，立即注册领取38元体验金，首充送50%，手机下载APP随时随地玩。"),
    ("http://www.example-slot.cn/lhj/", "老虎机的历史",
     "老虎机起源于19世纪末的美国旧金山，最早的老虎机只有三个转轮。如今电子游艺平台上有上千款老虎机游戏，"
     "返奖率高达97%。九游会官网老虎机专区，新用户注册即送彩金，每日返水1.2%，扫码下载APP领取。"),
    ("http://www.example-zq.cn/tj/", "今日竞彩推荐",
     "专业分析师团队，近30天推荐业绩同比提升，胜率高达78%。今日焦点：曼城主场迎战利物浦，亚洲盘口曼城让半球，"
     "推荐主胜。更多推荐请到开云体育投注平台，注册送彩金，首存优惠，外围投注首选。"),
    ("http://www.example-am.cn/news/", "澳门博彩毛收入按年大涨",
     "澳门博彩监察协调局公布，上月博彩毛收入按年增长35%。想体验澳门赌场的刺激？澳门新葡京娱乐城官网现已上线，"
     "真人百家乐、老虎机、体育投注应有尽有，注册即送彩金，首存送100%，24小时在线客服。"),
    ("http://www.example-tw.com/bjl/", "百家樂玩法",
     "百家樂起源於義大利，莊家優勢僅1.06%，是娛樂城最受歡迎的遊戲。現在註冊即送體驗金1000，首存送100%，"
     "真人百家樂、老虎機、運彩一次玩，出金快速，24小時線上客服。"),
    ("http://www.example-sb.cn/", "骰宝玩法大全",
     "骰宝又称买大小，起源于中国古代的掷骰游戏，押大或押小的庄家优势为2.78%。真人骰宝尽在葡京娱乐官网，"
     "真人荷官实时开奖，在线投注，新会员立即注册送38元，首存加赠。"),
]
# The same words in reference works and news that quote the offers without making them.
REFERENCE_AND_NEWS = [
    ("https://zh.wikipedia.example.org/wiki/轮盘", "轮盘 - 维基百科，自由的百科全书",
     "轮盘是一种赌场游戏，起源于18世纪的法国。轮盘上有36个号码及一个或两个零，玩家可押单个号码、颜色或单双。"
     "欧式轮盘的庄家优势为2.7%，美式轮盘为5.26%。轮盘在欧洲和美国的赌场十分流行，网上赌场也提供电子轮盘。"),
    ("https://en.wikipedia.example.org/wiki/Blackjack", "Blackjack - Wikipedia",
     "Blackjack, also known as twenty-one, is a casino banking game. It originated in France in the 18th century "
     "as vingt-et-un. Players compete against the dealer; basic strategy reduces the house edge to about 0.5%. "
     "Online casinos offer blackjack online in live and virtual forms, and card counting is banned in many casinos."),
    ("https://news.example.com/uk-white-paper", "UK gambling white paper sets online slot stake limits",
     "The government's gambling white paper proposes a stake limit of between £2 and £5 on online slots and "
     "affordability checks for heavy losers. The Gambling Commission will consult on rules for free spins and "
     "welcome bonus offers, which campaigners say lure problem gamblers. Analysts said operators' revenue could "
     "fall by up to 8% year-on-year. Lawmakers welcomed the plan."),
    ("https://www.example.cn/world/2024/uk-bonus.html", "英国拟限制网络博彩奖励",
     "英国博彩委员会日前就网络博彩公司的优惠活动征求意见，拟禁止以免费旋转、首存奖励等方式吸引新客户，"
     "并要求博彩公司对高额亏损客户进行负担能力审查。业界分析师认为，新规将使线上博彩营收同比下降约5%。"),
    ("https://finance.example.hk/stocks/27", "銀河娛樂第三季業績勝預期",
     "銀河娛樂公布第三季業績，經調整EBITDA按年增長逾六成，中場博彩收入恢復至2019年同期的九成。分析師指出，"
     "澳門博彩毛收入持續回升，加上非博彩業務貢獻增加，公司全年盈利有望勝於市場預期。"),
]


def test_affiliate_pages_that_open_like_an_encyclopedia_or_a_revenue_story_go():
    """A text with a `sells:` phrase (注册送, 立即注册, 首存送, sign up now, claim your) is no report by
    its category's own report: words; the police's and courts' words still make one."""
    reasons = _judge_rows(AFFILIATE_PAGES)
    assert all(r is not None and r.startswith("gambling_") for r in reasons), reasons
    assert _judge_rows(REFERENCE_AND_NEWS) == [None] * len(REFERENCE_AND_NEWS)


def test_sells_lines_are_read_only_when_asked(tmp_path):
    from stages.spam_phrases import read_phrase_file
    extra = tmp_path / "xx_coins.txt"
    extra.write_text("moonshot coin\t2\nto the moon\nreport: market cap\nreport: analysts\nsells: buy now\n",
                     encoding="utf-8")
    assert read_phrase_file(extra) == [("moonshot coin", 2.0), ("to the moon", 1.0)]
    assert read_phrase_file(extra, sells=True)[-1] == ("sells:buy now", 1.0)
    stage = SpamFilter(lists=[], extra_list_files=[str(extra)])
    news = "Moonshot coin fell 40%. Analysts said its market cap halved; holders who bet it would go to the moon sold moonshot coin."
    res = stage(pa.table({"id": ["0", "1"], "text": [news, news + " Buy now!"]}))
    assert res.removed.column("id").to_pylist() == ["1"]


# Ads that send the reader to a person (a WeChat, QQ, LINE, Telegram account, a mobile) in nothing but
# the words of the trade they prey on (贷款, 利息, 中药, 调理, 宫寒): a list of what is sold.
PERSONAL_ADS = [
    ("本公司专业办理小额贷款、信用贷款、房屋抵押贷款，审批简单，利息低，有需要请联系微信：dk88888", "loans_contact"),
    ("祛斑美白，中药调理，宫寒调理，有需要的加微信：mei8888", "health_scam_contact"),
    ("个人信用贷款、车辆抵押贷款、企业资金周转，额度灵活，可分期还款，有需要的朋友加V：jq6688", "loans_contact"),
    ("信用卡分期、额度提升、征信咨询，办理个人借款、小额贷款，QQ：3456789012", "loans_contact"),
    ("妇科炎症、宫寒、月经不调，多年中药调理经验，有需要的姐妹加微信 fk20240 私聊", "health_scam_contact"),
    ("男士补肾调理，阳痿早泄中药调理，进口保健品有货，男士加微信：nan6688 发图", "health_scam_contact"),
    ("产后肥胖、小肚子，专业减肥，燃脂套餐，减肥药正品保证，加我微信：shou2024", "health_scam_contact"),
    ("祛痘、美白、祛斑，皮肤问题中药调理，姐妹们私信或加微信：mei_2024", "health_scam_contact"),
    ("网贷逾期、信用卡逾期、征信问题一对一咨询，私人借款、小额贷款都可以办，加微信 zx8899", "loans_contact"),
    ("小額貸款、信用貸款、汽車抵押貸款，利息低，審批簡單，有需要加LINE：@dai888", "loans_contact"),
    ("私人借款、房产抵押贷款、资金周转，利息面谈，放款当天，Telegram @dk_fast88", "loans_contact"),
    ("小额贷款、信用贷款、抵押贷款，审批简单，利息低，需要的朋友联系手机：13912345678", "loans_contact"),
    ("宫寒、月经不调、妇科炎症，中药调理，添加王老师微信，一对一指导", "health_scam_contact"),
    ("我们是一家成立十年的金融服务公司，团队专业，服务周到。主要业务：个人信用贷款、房屋抵押贷款、车辆抵押贷款。"
     "利息低，审批简单。有需要的朋友请联系微信：dk2015", "loans_contact"),
    ("各位老板好，我是做金融服务的小李，从业八年，认识多家银行和机构的客户经理。可以办理：个人信用贷款、"
     "房产抵押贷款、企业经营贷款，审批快，利息低。名额有限，有需要的老板加我微信：lixd888", "loans_contact"),
    ("姐妹们，我是一名从事中医养生十年的调理师，专注女性健康。月经不调、宫寒、痛经、妇科炎症、产后恢复，"
     "都可以通过中药调理改善。不同体质方案不同，需要的姐妹加我微信：tiaoli_666 私聊", "health_scam_contact"),
]
# The same words with an institution's number (a landline, a 400 number, a lawyer's or a clinic's
# mobile), and articles on the subject that end with their author's WeChat.
INSTITUTIONS_AND_ARTICLES = [
    "某某市妇幼保健院妇科门诊开设月经不调、宫寒、妇科炎症专病门诊，中医科医师运用中药调理，患者可同时进行B超检查。"
    "预约电话：0571-87236100",
    "中医院治未病中心开展体质辨识、中药调理、补肾养生等服务，对亚健康患者制定个体化方案。预约电话：020-8188 6600",
    "医院皮肤科开展激光祛斑、祛痘、美白嫩肤等医学美容项目，痤疮患者可到专病门诊就诊。咨询电话：010-6552 8888",
    "人民医院减重门诊为肥胖患者提供科学减肥方案，不推荐自行服用减肥药或燃脂产品。症状较重者可转内分泌科。"
    "预约电话：0512-6778 0002",
    "本药房经营中西成药、中药饮片、保健品，补肾、调理类中成药凭处方或在执业药师指导下购买。电话：0755-2688 5678",
    "个人信用贷款无需抵押，额度最高30万元，利息按日计算，可分期还款，审批结果以银行审核为准。客服热线：400-820-8888",
    "本所律师办理网贷纠纷、信用卡逾期、民间借款合同纠纷及抵押贷款纠纷，为当事人提供法律咨询。律所电话：021-6288 1234",
    "李律师，执业十五年，擅长民间借贷、信用卡纠纷、抵押借款及小额贷款公司利息争议案件。手机：13901234567",
    "本诊所开设中医内科，王医生擅长中药调理脾胃、宫寒、月经不调，患者可电话预约。王医生手机：13812345678",
    "公司经省金融办批准设立，主营小额贷款、抵押贷款业务，贷款利息符合国家规定，审批流程公开透明。电话：0731-8888 1234",
    "法律援助中心为经济困难群众提供网贷纠纷、信用卡欠款、民间借款纠纷的法律咨询和代理服务。咨询电话：0571-8700 1234",
    "张某，主任中医师，从事妇科临床30年，擅长中药调理月经不调、宫寒不孕、妇科炎症，年接诊患者万余人次。"
    "出诊时间：周一上午。预约挂号：0571-8707 2345",
    "很多年轻人刚工作就办了好几张信用卡，再加上各种网贷和分期，每月光利息就要还上千元。一旦逾期，征信就会留下记录，"
    "以后申请房贷、车贷都会受影响。我的建议是：先列出所有借款，按利率从高到低还，不要以贷养贷。"
    "理财这件事没有捷径，欢迎加我微信 licai2020 交流心得。",
    "宫寒是中医的说法，并不是一种独立的疾病。很多女性手脚冰凉、痛经，就认为自己宫寒，到处买保健品。其实月经不调的原因"
    "很多，应先到医院检查排除器质性疾病。中药调理需要辨证施治，不同体质用药完全不同，不要盲目跟风。本文作者为中医爱好者，"
    "微信：zyj_2021，仅供交流。",
    "雀斑、黄褐斑、老年斑的成因不同，祛斑的方法也不一样。黄褐斑与内分泌有关，激光反而可能加重；雀斑则对激光效果较好。"
    "市面上很多美白祛斑产品含有汞等违禁成分，短期有效，长期伤害皮肤。有皮肤问题请到正规医院皮肤科就诊。"
    "我是一名护肤博主，微信号 skin2019，欢迎一起讨论。",
    "很多人减肥失败，是因为方法不对。科学减肥的关键是控制总热量摄入，同时增加运动。每周减重0.5-1公斤比较合理。"
    "肥胖是多种慢性病的危险因素，BMI超过28即为肥胖。不要相信所谓的减肥药和燃脂神器，很多含有违禁成分。"
    "有问题欢迎留言，也可以加我微信：fitcoach2020 一起交流。",
]


def test_the_trades_words_beside_a_persons_handle_are_an_ad():
    """`field:` words alone are an ad beside a WeChat, QQ, LINE, Telegram account, a person to add or a
    mobile where they are what the text lists; not beside an institution's number, nor spread
    through an article that ends with its author's WeChat."""
    rows = [(None, None, text) for text, _ in PERSONAL_ADS]
    assert _judge_rows(rows) == [reason for _, reason in PERSONAL_ADS]
    rows = [(None, None, text) for text in INSTITUTIONS_AND_ARTICLES]
    assert _judge_rows(rows) == [None] * len(rows)


def test_personal_handles():
    from stages.spam_rules import personal_handles
    assert personal_handles("有需要请联系微信：dk88888，电话 0571-8723 6100") == ["wechat:dk88888"]
    assert personal_handles("需要的朋友联系手机：13912345678") == ["phone:13912345678"]
    assert personal_handles("李律师，擅长民间借贷纠纷。手机：13901234567") == []
    assert personal_handles("客服热线 400-820-8888，Call (312) 555-0147") == []
    assert personal_handles("Message me on WhatsApp +44 7700 900123") == ["phone:+447700900123"]
    assert personal_handles("中药调理，添加王老师微信") == ["ask:添加王老师微信"]
