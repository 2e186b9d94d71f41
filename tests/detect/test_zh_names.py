"""The name a Chinese reading reports holds nothing but the name: span readings glue on the
filing's verbs (朱秀明递交), particles (王芳东的书面), conjunctions (因为杜兰特), an organisation
or a time before the family name (中银基金吴域, 前段时间李楠) and the tail of a role word
(总理奥尼尔 read as 理奥尼尔). Sentences are MADE UP for this test."""
from __future__ import annotations

import pytest

from monitor.detect import classify
from monitor.detect import names as nm
from monitor.detect.patterns import load_rules
from monitor.records import Article

RULES = load_rules("zh")


@pytest.mark.parametrize("sentence, reading, name", [
    ("董事会收到董事长王一鸣递交的辞职报告", "王一鸣递交", "王一鸣"),
    ("董事会收到证券事务代表刘芳东的书面辞职报告", "刘芳东的书面", "刘芳东"),
    ("陈晓峰辞职后不再担任公司其它职务", "陈晓峰辞职后", "陈晓峰"),
    ("因为杜兰特的离去，球队陷入困境", "因为杜兰特", "杜兰特"),
    ("外交部回应约翰逊辞职", "回应约翰逊", "约翰逊"),
    ("某某基金吴小域辞去公司副总经理职务", "某某基金吴小域", "吴小域"),
    ("前段时间李小楠离职事件热度尚未过去", "前段时间李小楠", "李小楠"),
    ("某国总理奥尼尔宣布辞职", "理奥尼尔", "奥尼尔"),
    ("某国总统唐纳德·特朗普递交辞呈", "唐纳德·特朗普递交", "唐纳德·特朗普"),
])
def test_name_span_cuts_what_is_not_the_name(sentence, reading, name):
    start = sentence.index(reading)
    a, b = nm.zh_name_span(sentence, start, start + len(reading), RULES, tail_only="·" in reading)
    assert sentence[a:b] == name


@pytest.mark.parametrize("sentence, name", [
    ("董事长王一鸣辞职", "王一鸣"),      # already the name: nothing cut
    ("欧阳娜娜宣布退出组合", "欧阳娜娜"),  # a four-character name keeps its four characters
    ("于少波辞去董事长职务", "于少波"),    # 于 as a family name is no preposition
])
def test_name_span_keeps_a_whole_name(sentence, name):
    a, b = nm.zh_name_span(sentence, 0 if sentence.startswith(name) else sentence.index(name), sentence.index(name) + len(name), RULES)
    assert sentence[a:b] == name


def test_reported_person_is_the_name_alone():
    text = "近日某某科技（300999）董事会于近日收到公司董事长王一鸣递交的辞职报告。王一鸣辞职后不再担任公司任何职务。"
    is_dep, _, deps = classify(Article(title=text, text=""))
    assert is_dep
    assert "王一鸣" in [d.person for d in deps], [d.person for d in deps]
    assert all(d.person in (None, "王一鸣") for d in deps), [d.person for d in deps]


@pytest.mark.parametrize("sentence, pick, name", [
    ("英国首相特拉斯辞职", "拉斯", "特拉斯"),                 # a transliteration's other characters
    ("球队已经裁掉后卫阿米尔-辛顿", "阿米尔", "阿米尔-辛顿"),  # and its other parts
    ("某某证券执行总裁周健男辞职", "周健", "周健男"),          # a third character before the word
    ("某某科技董事长于少波辞职", "少波", "于少波"),            # a family name after a role
    ("日本首相岸田文雄宣布辞职", "文雄", "岸田文雄"),          # a name the segmenter knows
    ("足协正式宣布霍顿辞职", "霍顿", "霍顿"),                  # not the 布 of 宣布
    ("巴萨引进格列兹曼达成协议后", "格列兹曼", "格列兹曼"),    # nor the 达 of 达成
    ("曼联官宣博格巴离队", "格巴", "博格巴"),                  # though the segmenter cuts 官宣博|格巴
    ("某队解雇罗塞尼尔", "尼尔", "罗塞尼尔"),
    ("莫德里奇宣布离开某队", "莫德", "莫德里奇"),
])
def test_complete_name_takes_the_whole_name(sentence, pick, name):
    a = sentence.index(pick)
    readings = [(c.start, c.end, c.source) for c in nm.zh_candidates(sentence, RULES, set(), set()) if not c.is_org]
    x, y = nm.zh_complete_name(sentence, a, a + len(pick), RULES, readings)
    assert sentence[x:y] == name


@pytest.mark.parametrize("title, name", [
    ("英国首相特拉斯辞职", "特拉斯"),
    ("某某证券执行总裁周健男辞职", "周健男"),
    ("曼联官宣博格巴离队", "博格巴"),
    ("某某汽车社长丰田章男卸任", "丰田章男"),               # a Japanese family name before the given name
    ("魏凤和被开除党籍", "魏凤和"),                       # 和 ends this name
    ("球队已经裁掉后卫阿米尔-辛顿", "阿米尔-辛顿"),       # a position word before the name, then its other part
])
def test_reported_name_is_not_cut_short(title, name):
    is_dep, _, deps = classify(Article(title=title, text=""))
    assert is_dep and name in [d.person for d in deps], [d.person for d in deps]


def test_hong_kong_married_name_is_whole():
    # 林鄭月娥: the husband's family name before her own (MADE-UP headline about a real person)
    is_dep, _, deps = classify(Article(title="香港特首林鄭月娥宣佈辭職", text=""))
    assert is_dep and [d.person for d in deps] == ["林鄭月娥"]


def test_our_cached_prefix_dictionary_is_the_one_jieba_builds(tmp_path, monkeypatch):
    from pathlib import Path

    import jieba

    from monitor.detect.names import JIEBA_MIN_FREQ, _prefix_dict, compact_dictionary

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = compact_dictionary(Path(jieba.__file__).parent / "dict.txt", JIEBA_MIN_FREQ)
    made = _prefix_dict(path)  # built and cached
    again = _prefix_dict(path)  # read from the cache
    theirs = jieba.Tokenizer(dictionary=str(path))
    theirs.tmp_dir = str(tmp_path)
    theirs.initialize()
    assert made[:2] == again[:2] == (theirs.FREQ, theirs.total) and made[2] == again[2] and made[2]
