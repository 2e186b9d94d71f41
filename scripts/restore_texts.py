"""Put the text back into the measure-only label files (the reverse of scripts/labels_only.py).

`data/labels/measure-only/*.jsonl` keep, for each labelled item, its labels, its exact locator
(`source` = `owner/repo@commit:path#locator`) and `text_sha256`, the SHA-256 of
`(title or "") + "\\n" + (text or "")`. This script reads each row's source file from a git mirror
of that repository (`git --git-dir MIRROR cat-file blob COMMIT:PATH`, the same bytes as
`git show COMMIT:PATH`), finds the item by its locator, rebuilds `title` and `text` the way the
labellers built them, and keeps the row only if the hash matches. It writes `OUT/<name>.jsonl`
(default `../labels/measure/`, beside the checkout, where `make train` / `make eval-all` look):
the rows in their original order, with every field of the measure-only row except
`text_sha256`, and `title` and `text` put back after `lang` (the field order of the originals).

Nothing is guessed. A row whose hash does not match any construction below, or whose source
cannot be read (no mirror, commit or blob missing, Git LFS pointer), is LEFT OUT of the output
and its id is listed in the report printed at the end. It is not written with an empty or
approximate text: a labelled item whose text is not the text that was labelled would be scored
and trained on as if it were (an empty `departure` item counts as a miss), so a shorter file that
says what is missing keeps the labelled data honest. A file of which no row could be restored
is not written at all. If a mirror lacks the row's commit, the newest commit of the mirror that
has the same path is read instead (and said so); such rows, too, are kept only on a hash match.

How title/text were built (worked out against the hashes):
  * Weibo hot search (`justjavac/weibo-trending-hot-search`, `archives/DAY.md#L<n>`): title =
    the link text of markdown line n (`12. [TITLE](url)`), text empty.
  * THUCNews (`649453932/Chinese-Text-Classification-Pytorch`, `THUCNews/data/*.txt#L<n>`):
    title = line n before its tab (`title<TAB>class`), text empty.
  * ABC headlines (`ZachWolpe/...`, `abcnews-date-text.csv#YYYYMMDD:off<N>`): title =
    `headline_text` of a row of that date, text empty. `off<N>` is the character offset of the
    16,000-character page the labeller read; a few rows carry the neighbouring day's date, so
    the rows starting in that page are tried after the rows of the date.
  * HuffPost (`Fred-Stock/...`, `News_Category_Dataset_v3.json#<link>`): the JSON line with
    that `link`; title = `headline`, text = `short_description`.
  * RAMS (`LWL-cpu/SCPRG-master`, `data/rams/*.jsonlines#<doc_key>`): title empty, text = the
    five sentences, each sentence's tokens joined by spaces and detokenised (`rams_text`),
    sentences joined by a space.
  * Apple Daily (`alex-the-man/apple-daily-corpus`, `corpus/YYYYMMDD.csv#<article_daily_id>`):
    title = the `title` column. `zh-hant-appledaily-full`: text = the `text` column (which
    repeats the title) stripped, up to 3,000 characters. `-a` / `-b` (title + lead): text =
    sentences of the body (the `text` column without its repeated title): the first sentence,
    the first paragraph, the first k sentences, or the first sentence followed by one or two
    later sentences the labeller picked, joined as they were. Each candidate is accepted only
    on a hash match.

Usage:
  python scripts/restore_texts.py data/labels/measure-only/*.jsonl --mirrors /work/.mirror
  python scripts/restore_texts.py data/labels/measure-only/en-rams.jsonl --mirrors DIR --out DIR

A mirror of `owner/name` is looked for as MIRRORS/owner+name/repo(/.git), MIRRORS/owner+name,
or MIRRORS/owner/name(.git). Standard library only.
"""
from __future__ import annotations

import argparse
import bisect
import csv
import hashlib
import io
import itertools
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = CHECKOUT.parent / "labels" / "measure"
LFS_MAGIC = b"version https://git-lfs.github.com/spec/v1"
PAGE = 16_000  # characters per page of the index the ABC labeller read (`off<N>` locators)


class Unavailable(Exception):
    """The source of a row cannot be read (the reason is the message)."""


def sha(title: str, text: str) -> str:
    return hashlib.sha256(f"{title or ''}\n{text or ''}".encode("utf-8")).hexdigest()


def parse_source(source: str) -> tuple[str, str, str, str]:
    repo, rest = source.split("@", 1)
    commit, rest = rest.split(":", 1)
    path, locator = rest.split("#", 1)
    return repo, commit, path, locator


# ---------------------------------------------------------------- mirrors


class Mirrors:
    def __init__(self, root: Path):
        self.root = root
        self._git_dirs: dict[str, Path | None] = {}
        self._blobs: dict[tuple[str, str, str], tuple[bytes, str]] = {}
        self._parsed: dict[tuple[str, str, str, str], object] = {}
        self.fallbacks: dict[tuple[str, str, str], str] = {}

    def git(self, git_dir: Path, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True)

    def git_dir(self, repo: str) -> Path | None:
        if repo not in self._git_dirs:
            owner, name = repo.split("/", 1)
            found = None
            for cand in (
                self.root / f"{owner}+{name}" / "repo" / ".git",
                self.root / f"{owner}+{name}" / "repo",
                self.root / f"{owner}+{name}" / ".git",
                self.root / f"{owner}+{name}",
                self.root / owner / f"{name}.git",
                self.root / owner / name / ".git",
                self.root / owner / name,
            ):
                if cand.is_dir() and self.git(cand, "rev-parse", "--git-dir").returncode == 0:
                    found = cand
                    break
            self._git_dirs[repo] = found
        return self._git_dirs[repo]

    def blob(self, repo: str, commit: str, path: str) -> tuple[bytes, str]:
        """The file's bytes and the commit they were read at."""
        key = (repo, commit, path)
        if key in self._blobs:
            return self._blobs[key]
        gd = self.git_dir(repo)
        if gd is None:
            raise Unavailable(f"no mirror of {repo} under {self.root}")
        used = commit
        if self.git(gd, "cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
            log = self.git(gd, "log", "-1", "--format=%H", "--all", "--", path)
            used = log.stdout.decode().strip()
            if not used:
                raise Unavailable(f"commit {commit[:12]} not in the mirror of {repo}, nor any commit with {path}")
            self.fallbacks[key] = used
        if self.git(gd, "cat-file", "-e", f"{used}:{path}").returncode != 0:
            listed = self.git(gd, "ls-tree", used, "--", path).stdout.strip()
            raise Unavailable(
                f"{path} at {used[:12]} is listed but its blob is absent from the mirror (large file)"
                if listed else f"no {path} at {used[:12]}")
        data = self.git(gd, "cat-file", "blob", f"{used}:{path}").stdout
        if data.startswith(LFS_MAGIC):
            raise Unavailable(f"{path} at {used[:12]} is a Git LFS pointer; its content is not in the mirror")
        self._blobs[key] = (data, used)
        return self._blobs[key]

    def parsed(self, kind: str, repo: str, commit: str, path: str, parse):
        key = (kind, repo, commit, path)
        if key not in self._parsed:
            data, _ = self.blob(repo, commit, path)
            self._parsed[key] = parse(data.decode("utf-8"))
        return self._parsed[key]


# ---------------------------------------------------------------- per-source candidates
# Each function yields (construction name, title, text) candidates for one row.


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def line_at(lines: list[str], locator: str) -> str:
    m = re.fullmatch(r"L(\d+)", locator)
    if not m or not 1 <= int(m.group(1)) <= len(lines):
        raise Unavailable(f"bad line locator {locator!r}")
    return lines[int(m.group(1)) - 1].rstrip("\r")


def weibo(mirrors, repo, commit, path, locator):
    line = line_at(mirrors.parsed("lines", repo, commit, path, lines_of), locator)
    m = re.match(r"^\s*\d+\.\s*\[(.*)\]\(.*\)\s*$", line)
    if m:
        yield "weibo: link text of the line, text empty", m.group(1), ""


def thucnews(mirrors, repo, commit, path, locator):
    line = line_at(mirrors.parsed("lines", repo, commit, path, lines_of), locator)
    yield "thucnews: title before the tab, text empty", line.rsplit("\t", 1)[0], ""


def parse_abc(text: str):
    starts, dates, heads = [], [], []
    pos = 0
    for i, line in enumerate(text.split("\n")):
        if i and "," in line:
            date, head = line.split(",", 1)
            starts.append(pos)
            dates.append(date)
            heads.append(head.rstrip("\r"))
        pos += len(line) + 1
    by_date = defaultdict(list)
    for i, d in enumerate(dates):
        by_date[d].append(i)
    return starts, dates, heads, by_date


def abc(mirrors, repo, commit, path, locator):
    starts, dates, heads, by_date = mirrors.parsed("abc", repo, commit, path, parse_abc)
    m = re.fullmatch(r"(\d{8}):off(\d+)", locator)
    if not m:
        raise Unavailable(f"bad ABC locator {locator!r}")
    date, off = m.group(1), int(m.group(2))
    seen = set()
    for i in by_date.get(date, []):
        seen.add(heads[i])
        yield "abc: headline of that date, text empty", heads[i], ""
    lo, hi = bisect.bisect_left(starts, off), bisect.bisect_left(starts, off + PAGE)
    for i in range(lo, hi):
        if heads[i] not in seen:
            seen.add(heads[i])
            yield f"abc: headline in the page at off{off} (dated {dates[i]}), text empty", heads[i], ""


def parse_jsonlines_by(field):
    def parse(text):
        index = defaultdict(list)
        for line in text.splitlines():
            if line.strip():
                item = json.loads(line)
                index[item.get(field)].append(item)
        return index
    return parse


def huffpost(mirrors, repo, commit, path, locator):
    for item in mirrors.parsed("link", repo, commit, path, parse_jsonlines_by("link")).get(locator, []):
        yield "huffpost: headline / short_description", item.get("headline") or "", item.get("short_description") or ""


_RAMS_CONTR_CURLY = r"(?:n’t|’s|’re|’ve|’ll|’d|’m)"
_RAMS_CONTR_STRAIGHT = r"(?:n't|'s|'re|'ve|'ll|'d|'m|')"


def rams_sentence(tokens: list[str]) -> str:
    s = " ".join(tokens)
    s = s.replace(" - ", "-")
    s = re.sub(r" ([.,;:?!%)\]}”])", r"\1", s)
    s = re.sub(r"([(\[{$“‘]) ", r"\1", s)
    s = re.sub(r" (" + _RAMS_CONTR_CURLY + r")\b", r"\1", s)
    s = re.sub(r" (" + _RAMS_CONTR_STRAIGHT + r")(?=\s|$)", r"\1", s)
    s = re.sub(r'" (.*?) "', r'"\1"', s)
    return s


def rams_text(sentences: list[list[str]]) -> str:
    return " ".join(rams_sentence(s) for s in sentences)


def rams(mirrors, repo, commit, path, locator):
    for doc in mirrors.parsed("doc_key", repo, commit, path, parse_jsonlines_by("doc_key")).get(locator, []):
        yield "rams: title empty, detokenised sentences", "", rams_text(doc["sentences"])


def parse_appledaily(text: str):
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows = [dict(zip(header, r)) for r in reader]
    by_id = {r.get("article_daily_id"): r for r in rows}
    return rows, by_id


def strip_title(text: str, title: str) -> str:
    """`text` without the title it starts with (the text may have spaces inside the title)."""
    want = [c for c in title if not c.isspace()]
    i = k = 0
    while k < len(want) and i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] == want[k]:
            i += 1
            k += 1
        else:
            return text
    return text[i:] if k == len(want) else text


def zh_sentences(body: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^。！？]*[。！？」]*", body) if s.strip()]


def appledaily(mirrors, repo, commit, path, locator):
    rows, by_id = mirrors.parsed("appledaily", repo, commit, path, parse_appledaily)
    row = by_id.get(locator)
    if row is None and locator.isdigit() and int(locator) < len(rows):
        row = rows[int(locator)]
    if row is None:
        return
    title, text = row.get("title") or "", row.get("text") or ""
    yield "appledaily: whole text, stripped, up to 3,000 chars", title, text.strip()[:3000]
    yield "appledaily: whole text up to 3,000 chars, stripped", title, text[:3000].strip()
    body = strip_title(text, title).strip()
    sents = zh_sentences(body)
    if not sents:
        return
    yield "appledaily: lead = first sentence", title, sents[0]
    yield "appledaily: lead = first paragraph", title, re.split(r"\s{2,}", body)[0]
    for k in range(2, min(len(sents), 6) + 1):
        for j in ("", " "):
            yield "appledaily: lead = first k sentences", title, j.join(sents[:k])
    rest = range(1, min(len(sents), 40))
    for n in (1, 2):
        for pick in itertools.combinations(rest, n):
            for j in ("", " "):
                yield "appledaily: lead = first sentence + picked sentences", title, j.join(
                    [sents[0]] + [sents[p] for p in pick])


def handler(path: str, locator: str):
    if path.endswith(".md"):
        return weibo
    if path.endswith(".txt"):
        return thucnews
    if path.endswith(".jsonlines"):
        return rams
    if path.endswith(".json"):
        return huffpost
    if path.endswith(".csv"):
        return abc if re.fullmatch(r"\d{8}:off\d+", locator) else appledaily
    return None


# ---------------------------------------------------------------- main


def restore_row(mirrors: Mirrors, row: dict) -> tuple[dict | None, str]:
    """(restored row, construction) or (None, reason)."""
    try:
        repo, commit, path, locator = parse_source(row["source"])
    except (KeyError, ValueError):
        return None, "source not of the form owner/repo@commit:path#locator"
    fn = handler(path, locator)
    if fn is None:
        return None, f"no reader for {path}"
    want = row.get("text_sha256")
    try:
        found = False
        for how, title, text in fn(mirrors, repo, commit, path, locator):
            found = True
            if sha(title, text) == want:
                out = {}
                for k, v in row.items():
                    if k == "text_sha256":
                        continue
                    out[k] = v
                    if k == "lang":
                        out["title"], out["text"] = title, text
                if "title" not in out:
                    out["title"], out["text"] = title, text
                if (repo, commit, path) in mirrors.fallbacks:
                    how += f" (read at {mirrors.fallbacks[(repo, commit, path)][:12]})"
                return out, how
    except Unavailable as e:
        return None, str(e)
    return None, ("no construction matches the hash" if found
                  else f"locator {locator!r} not found in {path}")


def id_ranges(ids: list[str]) -> str:
    """'x-00001…00009, x-00012' for runs of consecutive numbered ids."""
    out, run = [], []

    def flush():
        if run:
            out.append(run[0] if len(run) == 1 else f"{run[0]}…{run[-1].rsplit('-', 1)[-1]}")

    prev = None
    for i in ids:
        m = re.fullmatch(r"(.*-)(\d+)", i)
        cur = (m.group(1), int(m.group(2))) if m else None
        if run and cur and prev and cur[0] == prev[0] and cur[1] == prev[1] + 1:
            run.append(i)
        else:
            flush()
            run = [i]
        prev = cur
    flush()
    return ", ".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="measure-only JSONL files")
    ap.add_argument("--mirrors", type=Path, required=True, help="directory of git mirrors")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    args = ap.parse_args()
    mirrors = Mirrors(args.mirrors)
    args.out.mkdir(parents=True, exist_ok=True)
    total_ok = total = 0
    for f in args.files:
        rows = [json.loads(line) for line in f.read_text("utf-8").splitlines() if line.strip()]
        kept, how_counts, missing = [], Counter(), defaultdict(list)
        for row in rows:
            out, how = restore_row(mirrors, row)
            if out is None:
                missing[how].append(row.get("id", "?"))
            else:
                kept.append(json.dumps(out, ensure_ascii=False))
                how_counts[how] += 1
        total += len(rows)
        total_ok += len(kept)
        dest = args.out / f.name
        if kept:
            dest.write_text("\n".join(kept) + "\n", "utf-8")
            where = f"-> {dest}"
        else:
            where = "-> not written (no row restored)"
        print(f"{f.name}: {len(kept)} / {len(rows)} restored, hash checked; "
              f"{len(rows) - len(kept)} left out {where}")
        for how, n in how_counts.most_common():
            print(f"    {n:5d}  {how}")
        for why, ids in missing.items():
            print(f"    left out {len(ids)}: {why}: {id_ranges(ids)}")
    for (repo, commit, path), used in sorted(mirrors.fallbacks.items()):
        print(f"note: {repo}@{commit[:12]} not in the mirror; {path} read at {used[:12]}")
    print(f"total: {total_ok} / {total} rows restored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
