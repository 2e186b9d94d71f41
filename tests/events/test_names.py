"""Name and organisation keys that make spellings across scripts compare equal."""
from monitor.events.names import canonical_org, org_key, person_keys


def test_chinese_name_matches_its_pinyin_spelling_in_both_scripts():
    for a, b in [("吴宇怀", "Yuhuai (Tony) Wu"), ("吳宇懷", "Yuhuai Wu"), ("杨恪", "Ke Yang"), ("楊恪", "Yang Ke")]:
        assert person_keys(a) & person_keys(b), (a, b)


def test_different_people_do_not_match():
    assert not person_keys("吴宇怀") & person_keys("Jimmy Ba")
    assert not person_keys("Simon Zhai") & person_keys("Simon Zhou")
    assert not person_keys("Agent 007 Bond") & person_keys("Agent 008 Bond")  # digits count


def test_latin_name_variants():
    assert person_keys("John M. Henske") & person_keys("John Henske")
    assert person_keys("Roberto Azevêdo") & person_keys("Roberto Azevedo")
    assert person_keys("Yuhuai (Tony) Wu") & person_keys("Tony Wu")


def test_organisations():
    assert canonical_org("特斯拉") == "Tesla" == canonical_org("Tesla, Inc.")
    assert org_key("X.AI Corp") == org_key("xAI")
    assert org_key("Olin Corp") == org_key("Olin")
    assert org_key(None) == ""
