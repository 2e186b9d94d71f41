"""The pinyin table person keys read (monitor/events/pinyin.txt) is pypinyin's readings, all of
them: regenerate it with scripts/pinyin_table.py when pypinyin changes."""
import importlib.util
import sys
from pathlib import Path

from monitor.events import names

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("pinyin_table", ROOT / "scripts" / "pinyin_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_table_is_pypinyins_readings():
    table = names._PINYIN.read_text(encoding="utf-8").split("\n")
    assert table[:-1] == _script().lines(), "pinyin.txt is stale: run scripts/pinyin_table.py"


def test_every_reading_of_a_character_and_unknown_characters_as_themselves():
    assert names._pinyin("单曾") == [["dan", "chan", "shan"], ["ceng", "zeng"]]
    assert names._pinyin("\u4dc0") == [["\u4dc0"]]  # a hexagram sign: no reading


def test_person_keys_do_not_load_pypinyin():
    sys.modules.pop("pypinyin", None)
    assert "wu yuhuai" in names.person_keys("吳宇懷")
    assert "pypinyin" not in sys.modules
