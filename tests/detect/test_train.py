"""monitor train: labelling pairs, the factored decision's examples, weights files read back.
The headlines below are made up (unit-test material, not labelled data)."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from monitor.cli import app
from monitor.detect import pairs
from monitor.detect import train as tr

# made-up items, in the labelled-data format
ROWS = [
    {"id": "en-test-1", "lang": "en", "title": "Acme CFO Jane Roe resigns", "label": "departure",
     "departures": [{"person": "Jane Roe", "org": "Acme"}]},
    {"id": "en-test-2", "lang": "en", "title": "Globex chief John Doe steps down", "label": "departure",
     "departures": [{"person": "John Doe", "org": "Globex"}]},
    {"id": "en-test-3", "lang": "en", "title": "Hurricane Zed leaves Mary Major without power", "label": "other",
     "negative_kind": "unrelated", "departures": []},
    {"id": "en-test-4", "lang": "en", "title": "Initech names Bill Smith chief executive", "label": "other",
     "negative_kind": "appointment", "departures": []},
    {"id": "en-test-5", "lang": "en", "title": "Umbrella chairman Al Wesker retires", "label": "departure",
     "departures": [{"person": "Al Wesker", "org": "Umbrella"}]},
]


def test_source_of_joins_labellers_parts():
    assert tr.source_of({"id": "zh-hant-ad-c-00012"}) == tr.source_of({"id": "zh-hant-ad-a-00001"}) == "zh-hant-ad"
    assert tr.source_of({"id": "en-huff-b-00001"}) == "en-huff"
    assert tr.source_of({"id": "en-reuters-00173"}) == "en-reuters"


def test_pairs_are_labelled_by_the_departing_person():
    items = tr.featurise(ROWS)
    dep = items[0]
    assert any(y for _, y in dep.pairs)  # Jane Roe's pair is positive
    assert not any(y for it in items[2:4] for _, y in it.pairs)  # nothing in an "other" item is
    assert len(dep.words) == len(dep.pairs)


def test_a_role_word_is_right_when_it_is_the_departing_persons_role():
    """A headline that gives only the role, the name in the next sentence: the role candidate
    found the departure (its role is the departing person's), whatever the label names."""
    rows = [
        {"id": "en-test-6", "lang": "en", "title": "Initrode Chief Security Officer Fired After Data Leak",
         "text": "Peter Gibbons had run the team since 2019.", "label": "departure",
         "departures": [{"person": "Peter Gibbons", "org": "Initrode", "role": "Chief Security Officer"}]},
        {"id": "en-test-7", "lang": "en", "title": "Initrode Chief Security Officer Fired After Data Leak",
         "text": "Peter Gibbons had run the team since 2019.", "label": "departure",
         "departures": [{"person": "Peter Gibbons", "org": "Initrode", "role": "gardener"}]},
    ]
    right, other = tr.featurise(rows)
    role_pairs = [[y for f, y in it.pairs if "src=role" in f] for it in (right, other)]
    assert role_pairs[0] and all(role_pairs[0]) and not any(role_pairs[1])


def test_decision_examples_one_event_per_word_who_only_where_a_departure_is():
    feats = ["bias", "trig=en.resign", "word=resigns", "src=name", "pos=before"]
    item = tr.Item({"label": "departure"}, "g", [(feats, 1), (feats + ["mtoks=1"], 0), (feats, 0)], [0.5] * 3,
                   words=[0, 0, 1])
    event, who = tr.decision_examples(item)
    assert [y for _, y in event] == [1, 0]  # word 0 has the person, word 1 does not
    assert all(not pairs.is_event(x) for f, _ in who for x in f)
    assert [y for _, y in who] == [1, 0]  # only word 0's candidates teach the who part
    assert all(f[0] == "bias" and all(pairs.is_event(x) for x in f[1:]) for f, _ in event)
    missed = tr.Item({"label": "departure"}, "g", [(feats, 0)], [0.5], words=[0])
    assert tr.decision_examples(missed) == ([], [])  # the person was never a candidate: no lesson


def test_fit_is_deterministic_and_separates():
    items = tr.featurise(ROWS)
    a, b = tr.fit_decision(items, factored=True), tr.fit_decision(items, factored=True)
    assert a.dump() == b.dump()
    assert a.factored and a.event.weights and a.who.weights
    pos = [a.score(f) for it in items for f, y in it.pairs if y]
    neg = [a.score(f) for it in items for f, y in it.pairs if not y]
    assert min(pos) > max(neg)


def test_weights_file_reads_back_and_an_older_file_is_the_joint_model():
    items = tr.featurise(ROWS)
    m = tr.fit_decision(items, factored=True)
    back = pairs.Decision.parse(m.dump("header"))
    feats = items[0].pairs[0][0]
    assert abs(back.score(feats) - m.score(feats)) < 1e-3
    joint = tr.fit_decision(items)
    assert not joint.factored and not any(line.startswith(("event:", "who:")) for line in joint.dump().splitlines())
    legacy = pairs.Decision.parse(joint.joint.dump())
    assert not legacy.factored and legacy.score(feats) == pairs.Model.parse(joint.joint.dump()).score(feats)


def test_cli_train_factored_writes_both_parts(tmp_path):
    data = tmp_path / "made-up.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", "utf-8")
    res = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path), "--folds", "0", "--no-loso", "--factored"])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "pairs.en.tsv").read_text("utf-8")
    assert text.startswith("# en pair-decision weights") and "\nevent:" in text and "\nwho:" in text
    assert (tmp_path / "orgs.en.tsv").is_file()
    words = (tmp_path / "en_words.txt").read_text("utf-8").split()
    assert "chief" in words and "resigns" in words and "jane" not in words  # written in lower case, or not
    assert not (tmp_path / "pairs.zh.tsv").exists()  # no Chinese item: the Chinese weights are not touched


def test_cli_train_one_family_leaves_the_other_alone(tmp_path):
    data = tmp_path / "made-up.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", "utf-8")
    (tmp_path / "pairs.zh.tsv").write_text("# zh pair-decision weights\nbias\t0.5\n", "utf-8")
    res = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path), "--family", "en", "--folds", "0", "--no-loso"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "pairs.zh.tsv").read_text("utf-8") == "# zh pair-decision weights\nbias\t0.5\n"
    assert (tmp_path / "pairs.en.tsv").is_file()
    res = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path), "--family", "zh", "--folds", "0", "--no-loso"])
    assert res.exit_code != 0 and "no labelled item" in res.output
    res = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path), "--family", "fr"])
    assert res.exit_code != 0 and "--family" in res.output


def test_cli_train_warns_when_the_weights_it_replaces_knew_more_files(tmp_path):
    data = tmp_path / "made-up.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", "utf-8")
    (tmp_path / "pairs.en.tsv").write_text("# pair-decision weights\n# trained on 9 items, from 2 files:\n#   made-up.jsonl\n"
                                           "#   zh-other.jsonl\nbias\t0.1\n", "utf-8")
    res = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path), "--folds", "0", "--no-loso"])
    assert res.exit_code == 0, res.output
    assert "warning" in res.output and "zh-other.jsonl" in res.output and "made-up.jsonl," not in res.output
    res = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path), "--folds", "0", "--no-loso"])
    assert "warning" not in res.output  # the weights now know exactly these files


def test_held_out_english_items_are_read_without_their_own_words():
    from monitor.detect import names

    rows = [  # made up: "pundits" is written in lower case only in the first
        {"id": "en-a-1", "lang": "en", "title": "Pundits Quits Acme", "text": "Many pundits were surprised.",
         "label": "other", "negative_kind": "unrelated", "departures": []},
        *ROWS,
    ]
    names.use_en_words(tr.en_vocabulary(rows))
    try:
        items = tr.featurise(rows)
    finally:
        names.use_en_words(None)
    before = next(f for f, _ in items[0].pairs if "e:given=0" in f)
    assert "e:common=1/all" in before  # read with its own words: an ordinary word
    again = tr._read_without(items, [0])[0]
    after = next(f for f, _ in again.pairs if "e:given=0" in f)
    assert "e:common=0" in after  # read without them: it may be a name
    assert names.en_lexicons()[2] == names.en_lexicons.__wrapped__()[2]  # the shipped list again
