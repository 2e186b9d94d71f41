"""The `monitor` command line: thin commands over the pipeline, the store and the detector."""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from monitor.config import ConfigError, active_channels, load_config
from monitor.db.store import DEFAULT_DB, events_to_csv, list_events, open_engine
from monitor.events.names import unnamed

app = typer.Typer(help="Watch news and feeds; alert when a named person leaves an organisation.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
alerts_app = typer.Typer(help="The alert outbox: send what is due, see what is pending.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
orgs_app = typer.Typer(help="Organisations: every spelling, departures and waves; merge two.",
                        invoke_without_command=True)
app.add_typer(orgs_app, name="orgs")
db_app = typer.Typer(help="The database schema: status and upgrades (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
watchers_app = typer.Typer(help="The feeds `monitor run` polls: health, OPML import.", no_args_is_help=True)
app.add_typer(watchers_app, name="watchers")
err = Console(stderr=True, soft_wrap=True)


class Fmt(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Role(str, Enum):
    all = "all"
    scheduler = "scheduler"
    worker = "worker"


def _cell(value: object) -> object:
    """A JSON value as one CSV cell: lists joined with "; " (as in events CSV), booleans as in
    JSON, None empty."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _print_errors(errors: list[tuple[str, str | None]], cap: int = 200) -> None:
    """The last errors a table refers to, one line each under it (in a table column they were
    wrapped a few letters wide at 80 columns): `name: error`, the error on one line, cut at `cap`."""
    errors = [(name, " ".join(e.split())) for name, e in errors if e]
    if errors:
        print("last errors:")
        for name, e in errors:
            print(f"  {name}: {e[:cap] + '…' if len(e) > cap else e}")


def _print_csv(rows: list[dict], columns: list[str]) -> None:
    """`rows` (the JSON records) as CSV on stdout: a header, then one line per record. The
    columns are the records' keys; `columns` names them when there is no record."""
    import csv

    w = csv.writer(sys.stdout)
    header = list(rows[0]) if rows else columns
    w.writerow(header)
    for r in rows:
        w.writerow([_cell(r.get(k)) for k in header])


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[str, typer.Option("--db", envvar="MONITOR_DB", help="Database URL.")] = DEFAULT_DB,
    config: Annotated[str, typer.Option("--config", envvar="MONITOR_CONFIG", help="watchers.yaml path.")] = "watchers.yaml",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details to stderr.")] = False,
) -> None:
    from monitor.logs import configure

    configure(verbose)
    ctx.obj = {"db": db, "config": config, "verbose": verbose, "config_given": "MONITOR_CONFIG" in os.environ or "--config" in sys.argv}


def _backend(url: str) -> str | None:
    """"sqlite", "postgresql", …; None for a URL SQLAlchemy cannot read."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).get_backend_name()
    except Exception:
        return None


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for PostgreSQL, in-memory and URI-style databases."""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:  # a malformed URL: opening it says what is wrong
        return None
    db = u.database or ""
    if u.get_backend_name() != "sqlite" or db in ("", ":memory:") or db.startswith("file:"):
        return None
    return Path(db)


def _need_db(ctx: typer.Context) -> None:
    """A command that only reads stops here when the SQLite database it names does not exist,
    instead of creating an empty one (a mistyped --db would otherwise answer "0 events")."""
    path = _sqlite_file(ctx.obj["db"])
    if path is None or path.exists():
        return
    if ctx.obj["db"] == DEFAULT_DB:
        err.print(f"[red]error:[/] no database yet ({path} in {Path.cwd()}): create it by loading articles, "
                  "e.g. `monitor backfill seeds/`, or by polling your feeds: `monitor run --once` "
                  "(or name another with --db / MONITOR_DB)", highlight=False)
    else:
        err.print(f"[red]error:[/] no database at {path} (from --db / MONITOR_DB {ctx.obj['db']!r}); "
                  "commands that write, such as `monitor backfill`, create it", highlight=False)
    raise typer.Exit(2)


def _engine(ctx: typer.Context, pool_size: int = 5, *, create: bool = False):
    """The store's engine. Unless `create` (commands that write), a SQLite file that does not
    exist is an error, not a new empty database."""
    from monitor.db.schema import SchemaOutOfDate

    if not create:
        _need_db(ctx)
    try:
        return open_engine(ctx.obj["db"], pool_size)
    except SchemaOutOfDate as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from None
    except Exception as e:  # bad URL, unreachable server, unwritable directory
        err.print(f"[red]error:[/] cannot open the database {ctx.obj['db']!r}: {e}")
        raise typer.Exit(2) from None


def _channels(ctx: typer.Context):
    try:
        return active_channels(load_config(ctx.obj["config"], required=ctx.obj["config_given"]))
    except ConfigError as e:
        err.print("[red]error in configuration:[/]")
        err.print(str(e), markup=False, highlight=False)
        raise typer.Exit(2) from None


@app.command()
def backfill(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (recursive): .txt .html .xml/.rss/.atom/.rdf .json .jsonl")],
    alert: Annotated[bool, typer.Option("--alert", help="Send alerts for new events (off by default).")] = False,
) -> None:
    """Load articles from files into the store; each departure becomes one event.

    Example: monitor backfill seeds/
    """
    import time

    from rich.filesize import decimal
    from rich.progress import DownloadColumn, TimeRemainingColumn

    from monitor.alerts.routing import route
    from monitor.alerts.sender import send_due
    from monitor.records import Document
    from monitor.pipeline import process_documents
    from monitor.sources.files import iter_documents

    engine = _engine(ctx, create=True)
    channels = _channels(ctx) if alert else []
    items = list(iter_documents([str(p) for p in paths]))
    total = sum(len(i.data) for i in items if isinstance(i, Document))
    every = float(os.environ.get("MONITOR_PROGRESS_SECONDS", "5"))  # without a terminal: a line this often
    last = time.monotonic()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[articles]:,} articles"),
                  TextColumn("file {task.fields[file]}/{task.fields[files]}"), DownloadColumn(), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("backfill", total=total or 1, articles=0, file=0, files=len(items))

        def report(n: int, name: str, done: int, articles: int, new_events: int) -> None:
            nonlocal last
            bar.update(task, completed=done, description=Path(name).name[:30], articles=articles, file=n)
            if not err.is_terminal and time.monotonic() - last >= every:
                last = time.monotonic()
                err.print(f"backfill: {articles:,} articles ({done / (total or 1):.0%} of {decimal(total)}), "
                          f"file {n} of {len(items)} ({Path(name).name}), {new_events:,} new events",
                          markup=False, highlight=False)

        summary = process_documents(engine, items, route(channels) if alert else None, report)
    out = Console(soft_wrap=True)
    out.print(f"documents read: {summary.documents}   articles: {summary.articles}   "
              f"already stored: {summary.duplicates}")
    out.print(f"departures found: {summary.departures}   new events: {summary.new_events}   "
              f"merged mentions: {summary.merged_mentions}")
    if summary.skipped:
        out.print(f"skipped: {len(summary.skipped)}")
        for s in summary.skipped:
            out.print(f"  {s.name}: {s.reason}", markup=False, highlight=False)
    if alert:
        res = send_due(engine, channels)
        out.print(f"alerts sent: {res.sent}   {FAILED_WILL_RETRY}: {res.failed}   dead: {res.dead}")
        for e in res.errors:
            out.print(f"  {e}", markup=False, highlight=False)


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    from monitor.parse.dates import parse_date

    dt = parse_date(value)
    if dt is None:
        raise typer.BadParameter(f"not a date: {value!r}")
    return dt


@app.command()
def events(
    ctx: typer.Context,
    format: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    since: Annotated[str | None, typer.Option(help="Only departures on or after this date (e.g. 2026-02-01).")] = None,
    until: Annotated[str | None, typer.Option(help="Only departures before this date (e.g. 2026-02-01).")] = None,
    org: Annotated[str | None, typer.Option(help="Only this organisation (any spelling: 特斯拉 = Tesla).")] = None,
    person: Annotated[str | None, typer.Option(help="Only this person (any spelling: 吴宇怀 = Yuhuai Wu).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many (1 or more).")] = None,
) -> None:
    """List departure events, latest departure first (the day the text states, else the
    article's date, else the day first seen).

    Example: monitor events --org xAI --since 2026-01-01 --until 2026-03-01 --format json
    """
    rows = list_events(_engine(ctx), since=_since(since), until=_since(until), org=org, person=person, limit=limit)
    if format is Fmt.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif format is Fmt.csv:
        print(events_to_csv(rows), end="")
    else:
        out = Console()
        # ids, kinds and dates are never wrapped or cut; person and organisation wrap at spaces;
        # role and the other spellings are cut with "…" to what is left of the width
        fixed = 25 + max([len(str(r["id"])) for r in rows] + [2]) + max([len(r["kind"]) for r in rows] + [4]) + 10 + 8
        side = max(6, (out.width - fixed) // 4)
        t = Table(title=f"{len(rows)} departure events")
        t.add_column("id", no_wrap=True, justify="right")
        t.add_column("person", overflow="fold")
        t.add_column("org", overflow="fold")
        t.add_column("role", no_wrap=True, overflow="ellipsis", max_width=side)
        t.add_column("kind", no_wrap=True)
        t.add_column("date", no_wrap=True, min_width=10)
        t.add_column("mentions", no_wrap=True, justify="right")
        t.add_column("also written" if side >= 12 else "also\nwritten", no_wrap=True, overflow="ellipsis", max_width=side)
        for r in rows:
            t.add_row(str(r["id"]), r["person"] or unnamed(r["role"]), r["org"] or "", r["role"] or "", r["kind"],
                      r["departure_date"], str(r["mentions"]), ", ".join(r["aliases"]))
        out.print(t)


@app.command()
def classify(
    texts: Annotated[list[str] | None, typer.Argument(help="Headlines or leads to read (each as an article's title); none: JSONL articles on stdin.")] = None,
) -> None:
    """Write one JSON verdict per article (never touches the database): for each headline given,
    else for each JSONL line on stdin.

    Example: monitor classify "Sam Altman fired by OpenAI board" "OpenAI CTO Mira Murati leaves"
    Example: echo '{"id": 1, "title": "Jimmy Ba: last day at xAI"}' | monitor classify
    """
    from monitor.detect import classify as run
    from monitor.parse.jsonl import article_from_obj
    from monitor.records import Article

    def verdict(key: str, value, art) -> str:
        is_dep, score, deps = run(art)
        return json.dumps({
            key: value, "departure": is_dep, "score": round(score, 3),
            "departures": [{"person": d.person, "org": d.org, "role": d.role, "kind": d.kind, "evidence": d.evidence}
                           for d in deps],
        }, ensure_ascii=False)

    if texts:
        for text in texts:
            if not text.strip():
                raise typer.BadParameter("an empty headline", param_hint="TEXTS")
            print(verdict("title", text, Article(title=text.strip(), text="")), flush=True)
        return
    for n, line in enumerate(sys.stdin, 1):  # one output line for every input line, blank ones too
        obj = None
        try:
            if not line.strip():
                raise ValueError("empty line")
            obj = json.loads(line)
            art = article_from_obj(obj, source=f"stdin:{n}")
        except (json.JSONDecodeError, ValueError) as e:
            known = obj.get("id") if isinstance(obj, dict) else None
            print(json.dumps({"id": known, "line": n, "error": str(e)}, ensure_ascii=False), flush=True)
            continue
        print(verdict("id", obj.get("id"), art), flush=True)


@app.command("eval")
def eval_cmd(
    files: Annotated[list[Path], typer.Argument(help="Labelled JSONL files (../shared/eval-dev format).")],
    errors: Annotated[bool, typer.Option("--errors", help="List every error.")] = False,
    cv: Annotated[int, typer.Option("--cv", help="Also k-fold cross-validate the pair decision on these files (k).")] = 0,
    loso: Annotated[bool, typer.Option("--loso", help="Also leave each source out in turn: train without it, test on it.")] = False,
    factored: Annotated[bool, typer.Option("--factored", help="The pair decision with its factored part (event x who) averaged in.")] = False,
) -> None:
    """Score the detector on labelled files: P/R/F1 per language, hard negatives, extraction;
    with --cv/--loso, also how a decision trained without each item scores it.

    Example: monitor eval ../shared/eval-dev/*.jsonl --errors
    """
    from monitor.detect.evaluate import evaluate, read_jsonl

    rows = [r for r in read_jsonl([str(f) for f in files]) if not r.get("uncertain")]
    rep = evaluate(rows)
    out = Console()
    t = Table(title="departure detection")
    for col in ("language", "items", "precision", "recall", "F1", "keyword rule F1"):
        t.add_column(col, justify="right")
    for lang in sorted(rep.by_lang):
        c, b = rep.by_lang[lang], rep.baseline[lang]
        t.add_row(lang, str(c.tp + c.fp + c.fn + c.tn), f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", f"{b.f1:.3f}")
    out.print(t)
    h = Table(title="hard negatives: false-positive rate")
    h.add_column("kind")
    h.add_column("false positives", justify="right")
    h.add_column("rate", justify="right")
    tot = [0, 0]
    for kind, (fp, n) in sorted(rep.hard_neg.items()):
        h.add_row(kind, f"{fp}/{n}", f"{fp / n:.3f}")
        tot[0] += fp
        tot[1] += n
    if tot[1]:
        h.add_row("all", f"{tot[0]}/{tot[1]}", f"{tot[0] / tot[1]:.3f}")
    out.print(h)
    pe, pn = rep.person
    oe, on = rep.org
    out.print(f"person exact match on true positives: {pe}/{pn} = {pe / pn if pn else 0:.3f}")
    out.print(f"organisation match on true positives: {oe}/{on} = {oe / on if on else 0:.3f}")
    ce, cn = rep.clean
    out.print(f"names with nothing but the name: {ce}/{cn} = {ce / cn if cn else 0:.3f}")
    ce, cn = rep.whole
    out.print(f"names not cut short: {ce}/{cn} = {ce / cn if cn else 0:.3f}")
    ce, cn = rep.org_clean
    out.print(f"organisations with nothing but the organisation: {ce}/{cn} = {ce / cn if cn else 0:.3f}")
    if cv or loso:
        from monitor.detect.train import featurise

        _generalisation(out, featurise(rows), cv, loso, factored)
    if errors:
        for e in rep.errors:
            print(json.dumps(e, ensure_ascii=False, default=str))


def _held_out_table(title: str, scores: dict[str, tuple[float, float, float, int]]) -> Table:
    t = Table(title=title)
    for col in ("language", "departures", "precision", "recall", "F1"):
        t.add_column(col, justify="right")
    for lang, (pr, rc, f, n) in scores.items():
        t.add_row(lang, str(n), f"{pr:.3f}", f"{rc:.3f}", f"{f:.3f}")
    return t


@app.command()
def train(
    files: Annotated[list[Path], typer.Argument(help="Labelled JSONL files (eval-dev format) to learn from.")],
    out: Annotated[Path | None, typer.Option(help="Directory to write the weights to (default: the package's monitor/detect/model/).")] = None,
    family: Annotated[str | None, typer.Option(help="Retrain one language family only (en or zh); the other's weights stay as they are.")] = None,
    folds: Annotated[int, typer.Option(help="k of the k-fold cross-validation (0: skip).")] = 5,
    loso: Annotated[bool, typer.Option("--loso/--no-loso", help="Also leave each source out in turn.")] = True,
    factored: Annotated[bool, typer.Option("--factored", help="The pair decision with its factored part (event x who) averaged in.")] = False,
) -> None:
    """Learn the pair decision's weights from labelled files and report how they generalise.

    Each language family (en, zh) gets its own weights, learned from its own items:
    model/pairs.<family>.tsv and model/orgs.<family>.tsv (and, for en, model/en_words.txt, the
    words its text writes in lower case). Items from measurement-only sources (DuEE, THUCNews)
    are scored in the held-out runs but never learned from.
    Example: monitor train data/labels/*.jsonl ../shared/eval-dev/*.jsonl --family en
    """
    import hashlib
    from importlib import resources

    from monitor.detect import names, pairs
    from monitor.detect import train as tr
    from monitor.detect.evaluate import read_jsonl

    if family is not None and family not in pairs.FAMILIES:
        raise typer.BadParameter(f"--family must be one of {', '.join(pairs.FAMILIES)}")
    paths = sorted(str(f) for f in files)
    out_dir = out or Path(str(resources.files("monitor.detect").joinpath("model")))
    con = Console()
    rows = [r for r in read_jsonl(paths) if family is None or pairs.family(r.get("lang", "")) == family]
    families = [f for f in pairs.FAMILIES if any(pairs.family(r.get("lang", "")) == f for r in rows)]
    if not families:
        raise typer.BadParameter("no labelled item of that language family in these files")
    words = tr.en_vocabulary(r for r in rows if tr.trainable_row(r))
    names.use_en_words(words)  # the name features read it: learned first, from the trainable items
    try:
        items = tr.featurise(rows)
    finally:
        names.use_en_words(None)
    digest = hashlib.sha256()
    for f in paths:
        digest.update(Path(f).read_bytes())
    out_dir.mkdir(parents=True, exist_ok=True)
    for fam in families:
        path = out_dir / Path(pairs.weights_file(fam)).name
        if path.is_file():  # weights learned from files not given now would forget them
            before = {line[4:].strip() for line in path.read_text("utf-8").splitlines() if line.startswith("#   ")}
            if missing := sorted(before - {Path(p).name for p in paths}):
                con.print(f"[yellow]warning:[/] {path.name} was learned from files not given here, which the new "
                          f"weights will not know: {', '.join(missing)} (data/labels/README.md says where their texts are)")
        use = [it for it in items if tr.trainable(it) and tr.family_of(it) == fam]
        model, org_model = tr.fit_decision(use, factored), tr.fit(use, orgs=True)
        header = (f"{fam} pair-decision weights written by `monitor train` (monitor/detect/train.py)\n"
                  f"trained on {len(use)} items, {sum(len(i.pairs) for i in use)} pairs, from {len(paths)} files "
                  f"(sha256 of their bytes {digest.hexdigest()[:16]}):\n" + "\n".join(f"  {Path(f).name}" for f in paths))
        org_path = out_dir / Path(pairs.weights_file(fam, "orgs")).name
        path.write_text(model.dump(header), "utf-8")
        org_path.write_text(org_model.dump(header.replace("pair-decision", "organisation-choice")), "utf-8")
        parts = f" (+{len(model.event.weights)} event, {len(model.who.weights)} who)" if factored else ""
        con.print(f"{fam}: {len(model.joint.weights)} weights{parts} from {len(use)} items written to {path}")
        con.print(f"{fam}: {len(org_model.weights)} organisation weights from {sum(len(i.orgs) for i in use)} people written to {org_path}")
        if fam == "en":
            vocab_path = out_dir / Path(names.EN_WORDS).name
            vocab_path.write_text(names.en_words_file(words), "utf-8")
            con.print(f"en: {len(words)} lower-case words written to {vocab_path}")
    _generalisation(con, items, folds, loso, factored)


def _generalisation(con: Console, items: list, folds: int, loso: bool, factored: bool = False) -> None:
    """Print how the pair decision does on items it was not trained on: k-fold and
    leave-one-source-out F1 per language (measurement-only sources are scored, never learned)."""
    from monitor.detect import THRESHOLD
    from monitor.detect import train as tr

    if folds > 1:
        results = tr.held_out(items, tr.kfold_split(folds), THRESHOLD, factored)
        con.print(_held_out_table(f"{folds}-fold cross-validation (threshold {THRESHOLD})", tr.pooled(results)))
        fp, n = tr.hard_negatives(results)
        con.print(f"hard negatives called departures, held out: {fp}/{n} = {fp / n if n else 0:.3f}")
    if folds > 1:
        t = Table(title=f"organisation chosen right, {folds}-fold (people found whose organisation the text names)")
        for col in ("language", "people", "right"):
            t.add_column(col, justify="right")
        for lang, (r, n) in tr.org_held_out(items, folds).items():
            t.add_row(lang, str(n), f"{r / n:.3f}" if n else "-")
        con.print(t)
    if loso:
        groups = sorted({i.group for i in items})
        results = tr.held_out(items, tr.loso_split, THRESHOLD, factored)
        con.print(_held_out_table(f"leave-one-source-out ({len(groups)} sources)", tr.pooled(results)))
        t = Table(title="leave-one-source-out, by source (trained without it)")
        for col in ("source", "items", "departures", "precision", "recall", "F1"):
            t.add_column(col, justify="right")
        for group, by_lang in results.items():
            gold = [g for v in by_lang.values() for g in v[0]]
            pred = [p for v in by_lang.values() for p in v[1]]
            pr, rc, f, n = tr.f1(gold, pred)
            t.add_row(group, str(len(gold)), str(n), f"{pr:.3f}", f"{rc:.3f}", f"{f:.3f}")
        con.print(t)


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Poll every watcher once, deliver alerts, exit.")] = False,
    role: Annotated[Role, typer.Option(help="all: schedule and poll in this one process; scheduler / worker: "
                                            "split over processes and machines (PostgreSQL only, not with --once).")] = Role.all,
    concurrency: Annotated[int, typer.Option(min=1, help="Polls in flight at once in this process (each host still gets at most its hosts: concurrency).")] = 64,  # daemon.POLLS_IN_FLIGHT
    workers: Annotated[int | None, typer.Option(help="Processes that fetch, parse and detect (default: one per core; 0: none, all in this process).")] = None,
    summary: Annotated[float, typer.Option(min=1, help="Seconds between the log's summary lines (polls, events, alerts).")] = 300,
) -> None:
    """Poll the watchers in watchers.yaml, detect departures, alert. Runs until SIGTERM/Ctrl-C.

    Example: monitor run            (or, from cron: monitor run --once)
    """
    import asyncio

    from monitor.config import load_config
    from monitor.daemon import Daemon, poll_once
    from monitor.workers import default_workers

    workers = default_workers() if workers is None else max(0, workers)
    if role is not Role.all and _backend(ctx.obj["db"]) != "postgresql":
        err.print(f"[red]error:[/] --role {role.value} needs PostgreSQL (--db postgresql+psycopg://…): SQLite is one "
                  "process, so only --role all (the default), which schedules and polls in this process")
        raise typer.Exit(2)
    if role is not Role.all and once:
        err.print(f"[red]error:[/] --once polls every watcher in this process; --role {role.value} is for a "
                  "long-running process that shares the work with others: drop one of the two")
        raise typer.Exit(2)

    engine = _engine(ctx, pool_size=concurrency + 2, create=True)  # each fetch in flight may hold a connection
    try:
        config = load_config(ctx.obj["config"], required=True)
    except ConfigError as e:
        err.print("[red]error in configuration:[/]")
        err.print(str(e), markup=False, highlight=False)
        raise typer.Exit(2) from None
    if not config.watchers:
        err.print(f"no watchers in {ctx.obj['config']}: add some (see README) or import an OPML file")
        raise typer.Exit(2)
    if once:
        outcomes = asyncio.run(poll_once(engine, config, concurrency=concurrency, workers=workers))
        out = Console(soft_wrap=True)
        for o in outcomes:
            extra = (f"{o.seen} new items, {o.read} "
                     f"read, {o.new_events} new events") if o.status == "new" else (o.error or "")
            if o.followed or o.fallbacks:  # links followed to their article (monitor.follow)
                extra += f", {o.followed} article pages read" + (f" ({o.fallbacks} not: summary read)" if o.fallbacks else "")
            out.print(f"{o.watcher}: {o.status} {extra}", markup=False, highlight=False)
        n = {s: sum(o.status == s for o in outcomes) for s in ("new", "unchanged", "not-modified", "failed")}
        out.print(f"watchers: {len(outcomes)}   changed: {n['new']}   unchanged: {n['unchanged'] + n['not-modified']}   "
                  f"failed: {n['failed']}   new items: {sum(o.seen for o in outcomes)}   "
                  f"candidates: {sum(o.read for o in outcomes)}   "
                  f"new events: {sum(o.new_events for o in outcomes)}", markup=False, highlight=False)
        if n["failed"] == len(outcomes):  # cron and health checks can tell: nothing could be polled
            err.print(f"error: every watcher failed ({n['failed']})")
            raise typer.Exit(1)
        return
    from monitor.logs import configure

    configure(ctx.obj.get("verbose", False), service=True)  # a new event and a summary per period, without -v
    if engine.dialect.name == "postgresql":
        from datetime import timedelta

        from monitor.daemon import run_roles

        lease = timedelta(seconds=float(os.environ.get("MONITOR_LEASE_SECONDS", "120")))
        err.print(f"monitor: role {role.value} on {engine.url.render_as_string(hide_password=True)} (Ctrl-C to stop)")
        asyncio.run(run_roles(engine, ctx.obj["config"], role.value, concurrency=concurrency, lease=lease, workers=workers,
                              summary_every=summary))
        return
    err.print(f"monitor: watching {len(config.watchers)} feeds from {ctx.obj['config']} (Ctrl-C to stop)")
    asyncio.run(Daemon(engine, ctx.obj["config"], workers=workers, concurrency=concurrency, summary_every=summary).run())


@watchers_app.command("status")
def watchers_status(
    ctx: typer.Context,
    format: Annotated[Fmt, typer.Option("--format", "-f", help="table, json or csv")] = Fmt.table,
) -> None:
    """Health of every watcher: last success, last error, failures in a row, next check.

    Example: monitor watchers status --format json
    """
    from monitor.config import load_config
    from monitor.db.store import watcher_status

    try:
        config = load_config(ctx.obj["config"])
    except ConfigError as e:
        err.print(str(e), markup=False, highlight=False)
        raise typer.Exit(2) from None
    rows = watcher_status(_engine(ctx), config)
    if format is Fmt.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if format is Fmt.csv:
        _print_csv(rows, ["name", "url", "configured", "last_check", "last_success", "last_status", "last_error",
                          "consecutive_failures", "next_check", "items_seen", "polls", "followed", "follow_failures",
                          "follow_error"])
        return

    def minute(iso: str | None) -> str:  # 2026-02-12T09:30:00+00:00 -> 2026-02-12 09:30 (UTC, as the title says)
        return iso[:16].replace("T", " ") if iso else ""

    t = Table(title=f"{len(rows)} watchers (times in UTC)")
    t.add_column("name", overflow="fold", min_width=8)
    t.add_column("last success", no_wrap=True)
    t.add_column("failures", no_wrap=True, justify="right")
    t.add_column("next check", no_wrap=True)
    t.add_column("items", no_wrap=True, justify="right")
    t.add_column("pages", no_wrap=True, justify="right")  # article pages read / not readable (summary read)
    for r in rows:
        t.add_row(r["name"] + ("" if r["configured"] else " (removed)"), minute(r["last_success"]) or "never",
                  str(r["consecutive_failures"]), minute(r["next_check"]), str(r["items_seen"]),
                  f"{r['followed']}/{r['follow_failures']}")
    Console().print(t)
    _print_errors([(r["name"], r["last_error"]) for r in rows]
                  + [(f"{r['name']} (following a link)", r["follow_error"]) for r in rows])


@watchers_app.command("import")
def watchers_import(
    ctx: typer.Context,
    opml: Annotated[Path, typer.Argument(help="An OPML subscription list exported from a feed reader.")],
    interval: Annotated[str, typer.Option(help="Polling interval for the imported feeds.")] = "30m",
) -> None:
    """Add the feeds of an OPML file to watchers.yaml (feeds already watched are skipped).

    Example: monitor watchers import subscriptions.opml --interval 1h
    """
    from monitor.config import append_watchers, load_config, read_opml

    path = Path(ctx.obj["config"])
    try:
        existing = load_config(path)
        feeds = read_opml(opml.read_bytes(), interval=interval)
    except ConfigError as e:
        err.print("[red]error:[/] " + escape(str(e).replace("\n", "; ")), highlight=False)
        raise typer.Exit(2) from None
    except OSError as e:
        err.print(f"[red]error:[/] cannot read {opml}: {e.strerror or e}", highlight=False)
        raise typer.Exit(2) from None
    added = append_watchers(path, feeds.watchers, existing)
    load_config(path, required=True)  # what we wrote must read back
    watched = {w.url: w.name for w in existing.watchers}
    skipped = [(w.url if feeds.titles[w.url] == w.url else f"{feeds.titles[w.url]} ({w.url})",
                f"already watched as {watched[w.url]}") for w in feeds.watchers if w.url in watched]
    print(f"{len(added)} watchers added to {path} ({len(skipped)} already watched)")
    skipped = [(s.name, s.reason) for s in feeds.skipped] + skipped
    if skipped:
        print(f"skipped: {len(skipped)}")
        for name, reason in skipped:
            print(f"  {name}: {reason}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind (loopback unless MONITOR_TOKEN is set).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
) -> None:
    """The web pages, Atom feed, JSON API (/docs), CSV, /healthz and /metrics over the store.

    Example: monitor serve --port 8080   (then open http://127.0.0.1:8080/events)
    """
    import ipaddress

    import uvicorn

    from monitor.web.app import create_app

    token = os.environ.get("MONITOR_TOKEN") or None
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not token:
        err.print(f"[red]error:[/] binding to {host} exposes the store beyond this machine: set MONITOR_TOKEN "
                  "(clients then send Authorization: Bearer <token>) or bind to 127.0.0.1")
        raise typer.Exit(2)
    if token:
        err.print(f"every request (but /healthz) needs the token: Authorization: Bearer <MONITOR_TOKEN>, or ?token=; "
                  f"in a browser open http://{host}:{port}/events?token=<MONITOR_TOKEN> once (it sets a cookie)",
                  highlight=False, markup=False)
    uvicorn.run(create_app(_engine(ctx), ctx.obj["config"], token), host=host, port=port, log_level="warning")


@app.command()
def waves(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option(help="Only this organisation (any spelling).")] = None,
    format: Annotated[Fmt, typer.Option("--format", "-f", help="table, json or csv (members: their names)")] = Fmt.table,
) -> None:
    """Departure waves: bursts of exits at one organisation, well above its usual rate.

    Example: monitor waves --org xAI --format json
    """
    from monitor.db.store import list_waves

    rows = list_waves(_engine(ctx), org=org)
    if format is Fmt.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if format is Fmt.csv:  # one line per wave: its members by name, in date order
        _print_csv([{**w, "members": [m["person"] or unnamed(m["role"]) for m in w["members"]]} for w in rows],
                   ["id", "org", "started_on", "last_event_on", "days", "size", "senior", "co_founders",
                    "baseline_per_week", "times_usual", "open", "alerted", "members"])
        return
    out = Console()  # a wave's heading wraps at spaces to the table's width
    if not rows:
        out.print("no waves")
    for w in rows:
        head = (f"{w['org']}: {w['size']} departures in {w['days']} days ({w['started_on']} – {w['last_event_on']}), "
                f"{w['times_usual']}× its usual rate, {w['senior']} senior" + ("" if w["open"] else ", ended"))
        t = Table(title=head, title_justify="left")
        t.add_column("date", no_wrap=True, min_width=10)
        t.add_column("person", overflow="fold", min_width=8)
        t.add_column("role", overflow="fold", min_width=4)
        t.add_column("seniority", no_wrap=True)
        t.add_column("kind", no_wrap=True)
        for m in w["members"]:
            t.add_row(m["date"] or f"~{m['counted_on']}", m["person"] or unnamed(m["role"]), m["role"] or "",
                      m["seniority"], m["kind"])
        out.print(t)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema to this version of monitor (SQLite or PostgreSQL).

    Example: monitor --db postgresql+psycopg://monitor@db/monitor db upgrade
    """
    from monitor.db import schema
    from monitor.db.store import make_engine

    engine = make_engine(ctx.obj["db"])
    before = schema.current(engine)
    schema.upgrade(engine)
    print(f"schema: {before or 'empty'} -> {schema.current(engine)}")


@db_app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Show the schema version of the database and the one this monitor needs.

    Example: monitor db status
    """
    from monitor.db import schema
    from monitor.db.store import make_engine

    _need_db(ctx)
    engine = make_engine(ctx.obj["db"])
    cur, head = schema.current(engine), schema.head()
    print(f"database: {cur or 'empty'}   this monitor: {head}   " + ("up to date" if cur == head else "run `monitor db upgrade`"))


@orgs_app.callback()
def orgs(ctx: typer.Context, format: Annotated[Fmt, typer.Option("--format", "-f", help="table, json or csv")] = Fmt.table) -> None:
    """List organisations with their spellings, departures and waves.

    Example: monitor orgs
    """
    if ctx.invoked_subcommand:
        return
    from monitor.db.store import list_orgs

    rows = list_orgs(_engine(ctx))
    if format is Fmt.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if format is Fmt.csv:
        _print_csv(rows, ["name", "key", "aliases", "departures", "waves"])
        return
    t = Table(title=f"{len(rows)} organisations")
    t.add_column("organisation", overflow="fold", min_width=8)
    t.add_column("also written", overflow="fold", min_width=8)
    t.add_column("departures", no_wrap=True, justify="right")
    t.add_column("waves", no_wrap=True, justify="right")
    for r in rows:
        t.add_row(r["name"], ", ".join(r["aliases"]), str(r["departures"]), str(r["waves"]))
    Console().print(t)


@orgs_app.command("merge")
def orgs_merge(
    ctx: typer.Context,
    into: Annotated[str, typer.Argument(help="The organisation to keep (any spelling).")],
    other: Annotated[str, typer.Argument(help="The organisation that is the same one (any spelling).")],
) -> None:
    """Merge two organisations that are one: spellings, departures and waves move to the first.

    Example: monitor orgs merge "Google DeepMind" "DeepMind Technologies"
    """
    from monitor.db.store import merge_orgs

    try:
        name, moved = merge_orgs(_engine(ctx), into, other)
    except ValueError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from None
    print(f"merged into {name}: {moved} departures moved")


@app.command()
def learn(
    files: Annotated[list[Path], typer.Argument(help="Labelled JSONL files (../shared/eval-dev format).")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the proposals here (YAML) instead of stdout.")] = None,
    min_support: Annotated[int, typer.Option(help="A phrase must be in at least this many items.")] = 3,
    top: Annotated[int, typer.Option(help="At most this many trigger proposals per language.")] = 20,
) -> None:
    """Propose new trigger phrases and negative cues from labelled examples, for review.

    Example: monitor learn my-labelled.jsonl --out proposals.yaml
    """
    from monitor.detect.evaluate import read_jsonl
    from monitor.detect.learn import collect, propose, render

    text = render(propose(collect(read_jsonl([str(f) for f in files])), min_support=min_support, top=top),
                  [str(f) for f in files])
    if out:
        out.write_text(text, "utf-8")
        err.print(f"proposals written to {out}")
    else:
        print(text, end="")


@alerts_app.command("send")
def alerts_send(ctx: typer.Context) -> None:
    """Deliver every alert that is due (pending, or failed and past its retry time).

    Example: monitor alerts send
    """
    from monitor.alerts.sender import send_due

    res = send_due(_engine(ctx, create=True), _channels(ctx))
    print(f"sent: {res.sent}   {FAILED_WILL_RETRY}: {res.failed}   dead: {res.dead}   "
          f"waiting for an unconfigured channel: {res.skipped}")
    for e in res.errors:
        print(f"  {e}")


FAILED_WILL_RETRY = "retrying"  # one name wherever a delivery that failed and waits for its next try is shown


def _delivery_status(status: str, tried: bool) -> str:
    """A delivery's state as users read it: pending (not tried yet), retrying (failed, tried again
    later), sent, dead (gave up: `alerts retry` re-queues it)."""
    return FAILED_WILL_RETRY if status == "pending" and tried else status


@alerts_app.command("status")
def alerts_status(ctx: typer.Context) -> None:
    """Deliveries by channel and status, and every delivery not yet sent with its last error.

    Example: monitor alerts status
    """
    from sqlalchemy import func
    from sqlmodel import Session, select

    from monitor.db.models import DeliveryRow

    tried = DeliveryRow.attempts > 0
    with Session(_engine(ctx)) as s:
        counts = s.exec(select(DeliveryRow.channel, DeliveryRow.status, tried, func.count())
                        .group_by(DeliveryRow.channel, DeliveryRow.status, tried)).all()
        open_rows = s.exec(select(DeliveryRow).where(DeliveryRow.status != "sent").order_by(DeliveryRow.id)).all()
    out = Console()
    t = Table(title="deliveries")
    for col in ("channel", "status", "count"):
        t.add_column(col)
    for ch, st, was_tried, n in counts:
        t.add_row(ch, _delivery_status(st, was_tried), str(n))
    out.print(t)
    if open_rows:
        p = Table(title="not sent: pending, retrying and dead (times in UTC)")
        for col in ("id", "event"):
            p.add_column(col, no_wrap=True, justify="right")
        p.add_column("channel", overflow="fold", min_width=7)
        for col in ("kind", "status"):
            p.add_column(col, no_wrap=True)
        p.add_column("attempts", no_wrap=True, justify="right")
        p.add_column("next attempt", no_wrap=True)
        for d in open_rows:
            p.add_row(str(d.id), str(d.event_id) if d.event_id is not None else f"wave {d.wave_id}", d.channel, d.kind,
                      _delivery_status(d.status, d.attempts > 0), str(d.attempts),
                      d.next_attempt_at.strftime("%Y-%m-%d %H:%M") if d.status == "pending" else "")
        out.print(p)
        _print_errors([(f"{d.id} ({d.channel})", d.last_error) for d in open_rows])


@alerts_app.command("retry")
def alerts_retry(
    ctx: typer.Context,
    channel: Annotated[str | None, typer.Option(help="Only this channel's dead letters.")] = None,
) -> None:
    """Re-queue dead-lettered deliveries; the next `alerts send` (or the daemon) tries them again.

    Example: monitor alerts retry --channel email
    """
    from monitor.alerts.sender import retry_dead

    print(f"re-queued: {retry_dead(_engine(ctx, create=True), channel)}")


@alerts_app.command("test")
def alerts_test(
    ctx: typer.Context,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
) -> None:
    """Send a test message to every configured channel (or one), and say what happened.

    Example: monitor alerts test --channel slack-talent-moves
    """
    from monitor.alerts.sender import send_test

    channels = _channels(ctx)
    if not channels:
        err.print("no channel is configured and enabled (watchers.yaml channels:, or MONITOR_ALERT_URLS)")
        raise typer.Exit(2)
    results = send_test(channels, channel)
    if not results:
        err.print(f"no channel named {channel!r}; configured: {', '.join(c.name for c in channels)}")
        raise typer.Exit(2)
    for name, ok, error in results:
        print(f"{name}: {'ok' if ok else 'FAILED ' + error}")
    if not all(ok for _, ok, _ in results):
        raise typer.Exit(1)


def main() -> None:
    few_malloc_arenas()
    app()


def few_malloc_arenas(n: int = 2) -> None:
    """glibc gives every thread that allocates its own malloc arena (up to 8 per core), and the
    daemon's database and analysis threads leave ~6 MB in half-empty ones: two are enough. This is
    MALLOC_ARENA_MAX=2 for this process (before it starts a thread) and for the workers it starts;
    a MALLOC_ARENA_MAX of the user's own wins, and a C library without mallopt is left alone."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    os.environ["MALLOC_ARENA_MAX"] = str(n)
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-8, n)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    main()
