"""`monitor eval`'s stricter name checks: a match by containment (as the labels are written) can
hide a name with words glued on or a name cut short; each has its own line."""
from __future__ import annotations

import pytest

from monitor.detect.evaluate import _clean_name, _whole_name


@pytest.mark.parametrize("got, gold, clean, whole", [
    ("叶华俊", "叶华俊", True, True),
    ("叶华俊递交", "叶华俊", False, True),     # the filing's verb glued on
    ("拉斯", "特拉斯", True, False),           # cut short
    ("袁娜", "董事长袁娜", True, True),         # the label carries a title: the name alone is whole
    ("Altman", "Sam Altman", True, False),
    ("Sam Altman", "Sam Altman", True, True),
    ("吳宇懷", "吴宇怀", True, True),           # either script
])
def test_name_checks(got, gold, clean, whole):
    assert (_clean_name(got, gold), _whole_name(got, gold)) == (clean, whole)
