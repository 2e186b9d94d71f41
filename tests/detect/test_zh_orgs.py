"""A Chinese departure's organisation is the organisation's name alone, and a filing's "公司"
is the company the filing is about. Sentences are MADE UP for this test."""
from __future__ import annotations

import pytest

from monitor.detect import classify, engine
from monitor.detect.evaluate import _same_person
from monitor.detect.patterns import load_rules
from monitor.records import Article


@pytest.mark.parametrize("reading, org", [
    ("近日江南重工", "江南重工"),       # a time word before the name
    ("黄蜂将裁掉", "黄蜂"),             # the verbs after it
    ("巴黎官宣", "巴黎"),
    ("东方电子多位", "东方电子"),       # a quantity of people after it
    ("辞任万泰生物", "万泰生物"),       # the departure word before it
    ("十分大口氣的數碼通", "數碼通"),   # a description before 的, in Traditional script as written
    ("T1", "T1"),                       # digits in a name stay
    ("76人", "76人"),
    ("公司", None),                     # the article's subject stands for it
    ("该公司的非执行", None),
    ("会于近日收到公司", None),         # a piece of the sentence's verbs
    ("执行", None),                     # a piece of 执行董事
    ("公司副总经", None),               # the start of a role word (副总经理), then 公司
    ("了球队", "球队"),                 # a particle before it
    ("随队记者", None),
])
def test_clean_org(reading, org):
    assert engine._zh_clean_org(reading, load_rules("zh")) == org


@pytest.mark.parametrize("title, person, org", [
    # a listed company's filing: the departing man "resigns from the company" (公司)
    ("近日江南重工（600999）董事会收到公司副总经理王一鸣的书面辞职报告。", "王一鸣", "江南重工"),
    # the announcer
    ("今日晚间东方电子发布公告称，李小川因个人原因辞去公司董事职务。", "李小川", "东方电子"),
    # compound roles are roles, not the organisation: 财务负责人, 非执行董事
    ("南山食品财务负责人赵一平辞职", "赵一平", "南山食品"),
    # the organisation before the roles, when the learned choice reads none: a name with 和 in it,
    # a name holding a role word (联创), a responsibility between (分管生产的)
    ("ST东和董事长兼总经理李一栋辞职", "李一栋", "ST东和"),
    ("联创股份董事王小璟辞职", "王小璟", "联创股份"),
    ("南山电子分管生产的副总经理杨一鸣辞职", "杨一鸣", "南山电子"),
])
def test_filing_org(title, person, org):
    is_dep, _, deps = classify(Article(title=title, text=""))
    assert is_dep
    [d] = [d for d in deps if _same_person(d.person, person)] or [None]  # (the name itself: test_zh_names)
    assert d is not None, [(d.person, d.org) for d in deps]
    assert d.org == org
