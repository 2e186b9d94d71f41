"""Real sentences from the development set (files whose README allows quoting; never DuEE),
pinning departures and each kind of hard negative, in English, Simplified and Traditional."""
from __future__ import annotations

import pytest

from monitor.detect import classify
from monitor.records import Article

DEPARTURES = [
    # (source id, title, text, person, org fragment)
    ("zh-hant-web-000014", "飲品商天喔國際再有高層跳船 行政總裁已經辭任",
     "早前進入清盤程序的天喔國際(1219)再有高層「跳船」，公司公布行政總裁嚴志雄因專注於其他事務及個人事務，已於2018年12月29日辭任。",
     "嚴志雄", None),
    ("zh-hant-web-000012", "在任期間總串過不少記者,又十分大口氣的數碼通總裁黎大鈞,日前正式宣佈辭職。", "", "黎大鈞", None),
    ("zh-hant-web-000030", "超霸氣!張忠謀明年6月裸退 不會接台積電任何職務",
     "台積電董事長張忠謀宣布將在明年6月退休,退休後將不接任董事,由劉德音接任董事長,魏哲家擔任總裁。", "張忠謀", None),
    ("en-guardian-01318", "Fund manager Mark Barnett leaves Invesco after investor concern", "", "Mark Barnett", "Invesco"),
    ("en-guardian-01345", "Roberto Azevêdo quits as WTO chief a year early", "", "Roberto Azevêdo", "WTO"),
    ("en-guardian-01134", "Aston Martin sacks chief Andy Palmer after shares plunge", "", "Andy Palmer", "Aston Martin"),
    ("en-feed-json-daringfireball-v1-027", "Chris Lattner Out at Tesla", "", "Chris Lattner", "Tesla"),
    ("en-guardian-15140", "Johnston Press chief Ashley Highfield quits after seven years", "", "Ashley Highfield", "Johnston Press"),
    ("en-guardian-03489", "Jaguar Land Rover's Ralf Speth to quit as £1.1bn cuts announced", "", "Ralf Speth", "Jaguar Land Rover"),
    ("en-reuters-01004", "OCCIDENTAL <OXY> OFFICIAL RESIGNS",
     "MidCon Corp, a subsidiary of Occidental Petroleum Corp <OXY>, said William C. Terpstra has resigned as "
     "president and chief operating officer and his reponsibilities will be assumed by MidCon chairman O.C. Davis.",
     "William C. Terpstra", "MidCon Corp"),
]

FUTURE = [  # formally announced future departures are departures; speculation about them is not
    ("华为轮值董事长徐直军将于年底卸任", True, "徐直军", "华为"),
    ("Acme chief executive Jane Roe will retire at the end of the year", True, "Jane Roe", "Acme"),
    ("Jane Roe may retire at the end of the year", False, None, None),
    ("张三据传将于年底卸任", False, None, None),
]


@pytest.mark.parametrize("title,expected,person,org", FUTURE)
def test_future_departures(title, expected, person, org):
    is_dep, _, deps = classify(Article(title=title, text=""))
    assert is_dep is expected
    if expected:
        assert (deps[0].person, deps[0].org) == (person, org)


NEGATIVES = [
    # (source id, kind, title, text)
    ("zh-hant-web-000043", "denial", "媒體報導將接任豐年社長?吳音寧澄清是謠言",
     "〔記者楊心慧/台北報導〕有媒體報導,財團法人豐年社長汪文豪據傳因幫國民黨籍的雲林斗南鎮長候選人張有擇新書站台被請辭,而空缺將由北農總經理吳音寧補上,吳音寧受訪否認此事。"),
    ("zh-hant-web-000044", "rumor",
     "市場近日傳出國票金（2889）旗下國票證券將在15日召開董事會，提案解任國票證券副董事長陳冠如職務，可能是經營權前哨戰開打。", ""),
    ("zh-hant-death", "death", "快訊/奇美創辦人許文龍辭世享壽96歲", ""),
    ("en-guardian-00359", "death", "Tony Pidgley obituary", ""),
    ("en-guardian-00047", "layoff", "More than 1,600 UK jobs at risk at casino firm Genting", ""),
    ("en-guardian-00224", "appointment", "UK nominates Liam Fox to lead World Trade Organization", ""),
    ("en-bbc-rumor", "rumor", "Klinsmann issues Lehmann warning",
     "Germany coach Jurgen Klinsmann has warned goalkeeper Jens Lehmann he may have to quit Arsenal to keep his World Cup dreams alive."),
    ("en-bbc-death", "death", "Ex-PM Lord Callaghan dies aged 92",
     "Former Labour prime minister Lord Callaghan has died on the eve of his 93rd birthday."),
    ("en-bbc-denial", "denial", "Brown's poll campaign move denied",
     "The government has denied reports that Gordon Brown is preparing to oust Alan Milburn as Labour's election supremo."),
    ("en-guardian-00018", "unrelated", "British Airways retires iconic Boeing 747 fleet – in pictures", ""),
    ("en-guardian-12697", "rumor", "Alibaba co-founder Jack Ma to retire, say reports", ""),
    ("en-guardian-02487", "call_to_resign", "Republican senator urged to quit after report he sold stocks before Covid-19 market plunge", ""),
    ("en-guardian-11710", "call_to_resign", "Ryanair investors call for chairman to stand down in 2019", ""),
    ("en-guardian-14398", "call_to_resign", "TSB chief under pressure to quit after rebuke from MPs", ""),
    ("en-guardian-05830", "call_to_resign", "WeWork: SoftBank wants Adam Neumann replaced as CEO", ""),
    ("en-guardian-06641", "company_exit", "UK train operators reverse decision to quit Interrail", ""),
    ("en-guardian-12344", "company_exit", "Fears hundreds of jobs could be axed as Novartis exits Grimsby", ""),
    ("en-guardian-11223", "company_exit", "B&Q owner to pull out of Russia, Spain and Portugal after sales fall", ""),
    ("zh-hant-web-000050", "appointment", "第九任校長就職典禮 王子奇:致力將文大打造為「最貼近社會趨勢的綜合型大學」",
     "中國文化大學今天(21日)舉行第九任校長交接暨就職典禮,在陳泰然董事長的監交下,新任校長王子奇從代理校長王淑音手中接過印信。"),
    ("zh-hant-web-000057", "death", "裕隆企業集團總裁吳舜文昨天下午三時卅五分因心肺衰竭,病逝台北榮民總醫院,享壽九十六歲,獨子裕隆集團執行長嚴凱泰、媳婦和孫女皆隨侍在旁。", ""),
    ("zh-hant-web-000061", "layoff", "竹科48廠商裁員496人 國科會:硬碟大廠關閉其餘僅個案", ""),
    ("zh-feed-000473", "appointment", "于 斌：中兴手机换帅殷一民 恐依旧难入一线阵营", ""),
    # No quotable suspension example exists outside DuEE (which may not be quoted): these two are
    # written for the test, in the style of the wire copy.
    ("constructed-suspension-en", "suspension", "Bank suspends chief executive John Smith pending inquiry", ""),
    ("constructed-suspension-zh", "suspension", "某银行行长张三被停职接受调查", ""),
    ("en-cnbc-00190", "unrelated", "Warren Buffett's exit from airline stocks is a wake-up call for index investors, Jim Cramer says", ""),
    ("en-reuters-03112", "unrelated", "PAPER SAYS POINDEXTER MAY LINK REAGAN TO FUNDS",
     "The paper said yesterday that John Poindexter, who resigned last November when the illegal transfer of up "
     "to 20 mln dlrs was disclosed, knew of the diversion."),
]


# Real text the learned English decision (2026-12-01) gets wrong: pinned so a fix shows (strict).
KNOWN_MISSES = {
    "en-cnbc-00190": "an exit from stocks reads as a person's exit (0.84)",
    "en-reuters-03112": "an old resignation in a relative clause ('who resigned last November') in a short item",
}


def _params(rows: list[tuple], ids: list[str]) -> list:
    return [pytest.param(*r, id=i, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[r[0]])]
                         if r[0] in KNOWN_MISSES else []) for r, i in zip(rows, ids)]


@pytest.mark.parametrize("sid,title,text,person,org", _params(DEPARTURES, [d[0] for d in DEPARTURES]))
def test_departures(sid, title, text, person, org):
    is_dep, _, deps = classify(Article(title=title, text=text))
    assert is_dep, sid
    assert person in [d.person for d in deps], [d.person for d in deps]
    if org:
        assert org in [d.org for d in deps if d.person == person]


@pytest.mark.parametrize("sid,kind,title,text", _params(NEGATIVES, [f"{n[1]}-{n[0]}" for n in NEGATIVES]))
def test_hard_negatives(sid, kind, title, text):
    is_dep, _, deps = classify(Article(title=title, text=text))
    assert not is_dep, (sid, kind, [(d.person, d.pattern) for d in deps])
