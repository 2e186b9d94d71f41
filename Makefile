# One command sets up and runs; one sets up and tests. Both create .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test eval eval-all train words bench browser-deps screenshot clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## run: load the seed articles into the embedded SQLite store and list the departure events
run: $(STAMP)
	$(BIN)/monitor backfill seeds/
	$(BIN)/monitor events

## test: the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest -q

## browser-deps: Debian's Chromium, which the browser tests drive (Playwright uses it, downloads nothing)
browser-deps:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

## screenshot: docs/events.png, the events page over the seeds, taken with the same browser tooling
screenshot: $(STAMP) browser-deps
	fc-list | grep -qi cjk || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk)
	$(BIN)/python scripts/screenshot.py docs/events.png

## eval: detector scores on the development set
eval: $(STAMP)
	$(BIN)/monitor eval ../shared/eval-dev/*.jsonl

# labelled text: what the repository keeps, the development set, and (where present beside the
# checkout) the measurement-only sets whose text the repository may not keep (data/labels/README.md)
LABELS := $(wildcard data/labels/*.jsonl) $(wildcard ../shared/eval-dev/*.jsonl) $(wildcard ../labels/measure/*.jsonl)

## train: learn the detector's pair decision from every labelled file, with cross-validation and leave-one-source-out
train: $(STAMP)
	$(BIN)/monitor train $(LABELS)

## eval-all: the detector on every labelled file, and how it generalises (k-fold, leave-one-source-out)
eval-all: $(STAMP)
	$(BIN)/monitor eval $(LABELS) --cv 5 --loso

## words: regenerate the feed prefilter's word list from the trigger patterns (after editing patterns/*.yaml)
words: $(STAMP)
	$(BIN)/python -c "from monitor.detect.literals import write_departure_words as w; print(w(), 'words')"

## bench: detector throughput
bench: $(STAMP)
	$(BIN)/python bench/detect_bench.py

clean:
	rm -rf $(VENV) store/*.db store/*.db-*
