"""`monitor learn` proposes the phrase that separates departures, never the names in them."""
from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from monitor.cli import app
from monitor.detect.learn import collect, propose

PEOPLE = ["张伟", "王芳", "李强", "刘洋", "陈静"]
CLUBS = ["上海申花", "北京国安", "广州恒大", "山东泰山", "天津津门虎"]


def rows():
    out = []
    for i, (p, c) in enumerate(zip(PEOPLE, CLUBS)):  # a phrasing the detector does not know: 挂靴
        out.append({"id": f"d{i}", "lang": "zh-Hans", "title": f"{c}名宿{p}正式挂靴", "text": "",
                    "label": "departure", "departures": [{"person": p, "org": c}]})
        out.append({"id": f"o{i}", "lang": "zh-Hans", "title": f"{c}今晚主场迎战对手 球迷热情高涨", "text": "",
                    "label": "other", "negative_kind": "unrelated"})
        out.append({"id": f"x{i}", "lang": "zh-Hans", "title": f"{c}前主帅{p}病逝 享年七十岁", "text": "",
                    "label": "other", "negative_kind": "death"})
    return out


def test_proposes_the_separating_phrase_not_the_names():
    prop = propose(collect(rows()), min_support=3)["zh"]
    phrases = [t["re"] for t in prop["triggers"]]
    assert any("挂靴" in p for p in phrases), phrases
    for name in PEOPLE + CLUBS:
        assert not any(name in p or p in name for p in phrases), (name, phrases)
    top = next(t for t in prop["triggers"] if "挂靴" in t["re"])
    assert top["support"] == {"departures": 5, "other": 0, "missed_now": 5}
    assert top["learned_from"] == "d0"
    death = [n["re"] for n in prop["negatives"].get("death", [])]
    assert any("享年" in d or "病逝" in d for d in death), death


def test_cli_writes_yaml(tmp_path):
    src = tmp_path / "labelled.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows()), "utf-8")
    out = tmp_path / "proposals.yaml"
    res = CliRunner().invoke(app, ["learn", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = yaml.safe_load(out.read_text("utf-8"))
    assert data["zh"]["items"] == {"departure": 5, "other": 10}
    assert all({"id", "re", "person", "kind", "learned_from", "support"} <= set(t) for t in data["zh"]["triggers"])
