"""watchers.yaml -> typed Config. `${VAR}` and `${VAR:-default}` expand from the environment
(secrets never live in the file); every error names the file, line and field."""
from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.alerts.secrets import register
from monitor.records import KINDS, Skipped

log = logging.getLogger(__name__)
DEFAULT_CONFIG = "watchers.yaml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """watchers.yaml is invalid: the message names file:line and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


DIGESTS = {"hourly": "0 * * * *", "daily": "0 8 * * *"}
# EDGAR (kind: sec-8k): the latest 8-K filings as Atom, and its fair-access limit (10 requests a
# second) as the host's default pause between two requests
SEC_CURRENT_8K = "https://www.sec.gov/cgi-bin/browse-edgar?action=getcurrent&type=8-K&count=100&output=atom"
SEC_HOST = "www.sec.gov"
SEC_MIN_INTERVAL = 0.1
_CONTACT = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


class ChannelFilter(_Strict):
    """Which events a channel wants; an empty list means any."""
    orgs: list[str] = []  # any spelling: 特斯拉 = Tesla
    persons: list[str] = []
    kinds: list[Literal[KINDS]] = []  # Literal of a tuple: each of its values
    languages: list[str] = []  # en, zh-Hans, zh-Hant
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)


class ChannelConfig(_Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    urls: list[str] = Field(min_length=1)
    tags: list[str] = []  # receives events from watchers sharing a tag; none (or "all"): every event
    filter: ChannelFilter = ChannelFilter()
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)  # shorthand for filter.min_confidence
    format: Literal["text", "markdown", "html", "slack"] | None = None  # default: from the URL (Slack, email, ...)
    title_template: str | None = None  # Jinja2; fields: see README
    body_template: str | None = None
    digest: str | None = None  # hourly | daily | a crontab line (UTC): one message per window
    updates: bool = False  # a "more sources" follow-up when later articles report a known event
    waves: Literal["also", "only", "off"] = "also"  # departure-wave alerts; "only": no single departures
    enabled: bool = True  # false when a URL names an environment variable that is not set

    @field_validator("digest")
    @classmethod
    def _digest(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(DIGESTS.get(v, v))
        except ValueError:
            raise ValueError("must be hourly, daily or a crontab line such as '0 8 * * 1-5'") from None
        return v

    @field_validator("title_template", "body_template")
    @classmethod
    def _template(cls, v: str | None) -> str | None:
        if v is not None:
            from jinja2 import Environment, TemplateSyntaxError

            try:
                Environment().parse(v)
            except TemplateSyntaxError as e:
                raise ValueError(f"template error on its line {e.lineno}: {e.message}") from None
        return v


class WatcherConfig(_Strict):
    name: str = Field(min_length=1, max_length=128)
    url: str
    interval: str = "15m"
    cron: str | None = None  # crontab line (UTC), instead of the interval
    timezone: str | None = None
    language: str | None = None
    tags: list[str] = []
    # feed: RSS/Atom/JSON Feed; page: a listing page whose article links are read (no feed);
    # sec-8k: SEC EDGAR 8-K filings, Item 5.02
    kind: Literal["feed", "page", "sec-8k"] = "feed"
    # which new feed items have their link fetched and read whole: those whose title or summary
    # holds a departure word (candidates), every one (always), none (never). A page watcher reads
    # every new link.
    follow: Literal["candidates", "always", "never"] = "candidates"
    links: str | None = None  # kind: page: a CSS selector for the article links, or re:REGEX on their URL
    # kind: sec-8k: only these filers (CIK numbers, or ticker symbols); none: every filer
    ciks: list[str] = []
    tickers: list[str] = []
    user_agent: str | None = None  # sent with this watcher's requests; sec-8k: sec_user_agent by default

    @model_validator(mode="before")
    @classmethod
    def _sec_url(cls, data):
        """A sec-8k watcher reads EDGAR's list of the latest 8-K filings unless `url` says otherwise."""
        if isinstance(data, dict) and data.get("kind") == "sec-8k" and not data.get("url"):
            data = {**data, "url": SEC_CURRENT_8K}
        return data

    @field_validator("ciks", mode="before")
    @classmethod
    def _ciks(cls, v):
        out = []
        for c in v if isinstance(v, list) else [v]:
            if not re.fullmatch(r"\d{1,10}", str(c).strip()):
                raise ValueError(f"{c!r} is not a CIK (1 to 10 digits, e.g. 1318605)")
            out.append(str(int(str(c).strip())))  # 0001318605 and 1318605 are one filer
        return out

    @field_validator("tickers")
    @classmethod
    def _tickers(cls, v: list[str]) -> list[str]:
        for t in v:
            if not re.fullmatch(r"[A-Za-z0-9.\-]{1,10}", t.strip()):
                raise ValueError(f"{t!r} is not a ticker symbol (e.g. TSLA, BRK-B)")
        return [t.strip().upper() for t in v]

    @field_validator("user_agent")
    @classmethod
    def _agent(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[ -~]{1,200}", v.strip()):
            raise ValueError("must be printable ASCII, at most 200 characters")
        return v.strip() if v else v

    @model_validator(mode="after")
    def _sec_only(self) -> "WatcherConfig":
        if (self.ciks or self.tickers) and self.kind != "sec-8k":
            raise ValueError("ciks: and tickers: apply to kind: sec-8k only")
        return self

    @field_validator("links")
    @classmethod
    def _links(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if v.startswith("re:"):
            try:
                re.compile(v[3:])
            except re.error as e:
                raise ValueError(f"not a regular expression after re: ({e})") from None
            return v
        from cssselect import GenericTranslator, SelectorError

        try:
            GenericTranslator().css_to_xpath(v)
        except SelectorError as e:
            raise ValueError(f"not a CSS selector ({e}); a URL pattern is written re:REGEX") from None
        return v

    @model_validator(mode="after")
    def _links_for_pages(self) -> "WatcherConfig":
        if self.links is not None and self.kind != "page":
            raise ValueError("links: applies to kind: page only")
        return self

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not re.fullmatch(r"https?://[^\s/?#]+(?:[/?#]\S*)?", v):
            raise ValueError("must be an http:// or https:// URL (no spaces)")
        return v

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(v)
            except ValueError as e:
                raise ValueError(f"not a crontab line ({e})") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Shanghai)") from None
        return v

    @field_validator("interval")
    @classmethod
    def _interval(cls, v: str) -> str:
        if not re.fullmatch(r"\d+\s*[smhd]", v.strip()):
            raise ValueError("must be a number with s, m, h or d (e.g. 15m)")
        if interval_seconds(v) < 1:
            raise ValueError("must be at least 1s")
        return v


def interval_seconds(spec: str) -> int:
    """A watcher's interval ("15m", "2h", "30 s", "1d") in seconds."""
    spec = spec.strip()
    return int(spec[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[spec[-1]]


class HostConfig(_Strict):
    """How hard one publisher's server may be polled (the default: 2 requests at once, no pause)."""
    concurrency: int = Field(default=2, ge=1, le=256)  # requests at once to this host
    min_interval: float = Field(default=0.0, ge=0.0, le=3600.0)  # seconds between two requests' starts


class Config(_Strict):
    channels: list[ChannelConfig] = []
    watchers: list[WatcherConfig] = []
    hosts: dict[str, HostConfig] = {}  # host name (with :port when not the default) -> its limits
    # who you are to EDGAR (kind: sec-8k): a name and a contact e-mail, e.g. "Jane Doe jane@example.com";
    # else MONITOR_SEC_USER_AGENT
    sec_user_agent: str | None = None

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: dict[str, HostConfig]) -> dict[str, HostConfig]:
        for name in v:
            if not re.fullmatch(r"[A-Za-z0-9.\-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?", name):
                raise ValueError(f"{name!r} is not a host name (e.g. rsshub.example.org or 127.0.0.1:8080, no scheme or path)")
        return {k.lower(): h for k, h in v.items()}

    def host_limits(self) -> dict[str, dict]:
        """The hosts' limits as monitor.sources.http.Fetcher takes them. A watcher on EDGAR
        (www.sec.gov: every sec-8k watcher by default) paces that host to its fair-access limit,
        10 requests a second, unless hosts: says otherwise."""
        limits = {k: h.model_dump() for k, h in self.hosts.items()}
        if SEC_HOST not in limits and any(_netloc(w.url) == SEC_HOST for w in self.watchers):
            limits[SEC_HOST] = HostConfig(min_interval=SEC_MIN_INTERVAL).model_dump()
        return limits

    @field_validator("sec_user_agent")
    @classmethod
    def _sec_agent(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else v.strip()

    @model_validator(mode="after")
    def _sec_agents(self) -> "Config":
        """sec-8k watchers send sec_user_agent (else MONITOR_SEC_USER_AGENT) unless they name their own."""
        agent = sec_user_agent(self)
        for w in self.watchers:
            if w.kind == "sec-8k" and not w.user_agent and agent:
                w.user_agent = agent
        return self

    @field_validator("watchers")
    @classmethod
    def _unique(cls, v: list[WatcherConfig]) -> list[WatcherConfig]:
        seen, dup = set(), set()
        for w in v:
            (dup if w.name in seen else seen).add(w.name)
        if dup:
            raise ValueError(f"watcher names must be unique: {', '.join(sorted(dup))}")
        return v


def _netloc(url: str) -> str:
    return re.sub(r"^[a-z]+://", "", url.lower()).split("/", 1)[0].split("?", 1)[0]


def sec_user_agent(config: Config) -> str | None:
    """The User-Agent EDGAR gets: sec_user_agent (${VAR} expanded), else MONITOR_SEC_USER_AGENT."""
    value = _expand(config.sec_user_agent)[0].strip() if config.sec_user_agent else ""
    return value or os.environ.get("MONITOR_SEC_USER_AGENT", "").strip() or None


def _check_sec_agents(config: Config, path: Path, text: str) -> None:
    """EDGAR's fair-access rules: a sec-8k watcher needs a User-Agent naming who runs it, with a
    contact e-mail. Refused here, before anything asks EDGAR (which answers 403 without one)."""
    example = 'e.g. sec_user_agent: "Jane Doe jane.doe@example.com" in watchers.yaml, or MONITOR_SEC_USER_AGENT'
    for i, w in enumerate(config.watchers):
        if w.kind != "sec-8k":
            continue
        if not w.user_agent:
            raise ConfigError(f"{path}:{_line_of(_compose(text), ('watchers', i))}: watchers[{i}] ({w.name}): kind: sec-8k needs "
                              f"a User-Agent naming you and a contact e-mail, as EDGAR requires: set it, {example}")
        if not _CONTACT.search(w.user_agent):
            where = ("sec_user_agent",) if w.user_agent == sec_user_agent(config) and config.sec_user_agent else ("watchers", i)
            raise ConfigError(f"{path}:{_line_of(_compose(text), where)}: User-Agent {w.user_agent!r} for watcher {w.name} has no "
                              f"contact e-mail; EDGAR requires one ({example})")


def _expand(value: str) -> tuple[str, list[str]]:
    missing: list[str] = []

    def sub(m: re.Match) -> str:
        val = os.environ.get(m.group(1))
        if val is None or val == "":
            if m.group(2) is not None:
                return m.group(2)
            missing.append(m.group(1))
            return ""
        return val

    return _VAR.sub(sub, value), missing


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str) -> yaml.Node | None:
    """The YAML node tree, with lines, to say where an error is."""
    return yaml.compose(text, Loader=_LOADER)


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The 1-based line of the YAML node at pydantic error location `loc`."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def load_config(path: str | Path | None, *, required: bool = False) -> Config:
    """Read and validate the config. A missing default file is an empty config; a missing file
    the user named is an error."""
    path = Path(path or DEFAULT_CONFIG)
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: no such file")
        return Config()
    text = path.read_text("utf-8")
    try:  # libyaml when present (10,000 watchers: 0.3 s, not 6 s); the node tree only to place an error
        data = yaml.load(text, Loader=_LOADER) or {}
    except yaml.YAMLError as e:
        try:
            yaml.safe_load(text)  # the pure-Python parser words its errors better than libyaml
        except yaml.YAMLError as pure:
            e = pure  # noqa: PLW2901
        mark, ctx = getattr(e, "problem_mark", None), getattr(e, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        also = f" ({e.context} at line {ctx.line + 1})" if ctx is not None and getattr(e, "context", None) else ""
        raise ConfigError(f"{where}: invalid YAML: {getattr(e, 'problem', e)}{also}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the top level must be a mapping with channels: and watchers:")
    try:
        config = Config.model_validate(data)
    except ValidationError as e:
        node = _compose(text)
        msgs = []
        for err in e.errors():
            loc = tuple(err["loc"])
            field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
            msgs.append(f"{path}:{_line_of(node, loc)}: {field}: {err['msg']}")
        raise ConfigError("\n".join(msgs)) from None
    _check_sec_agents(config, path, text)
    for ch in config.channels:
        urls = []
        for u in ch.urls:
            expanded, missing = _expand(u)
            if missing:
                _warn_once(f"channel {ch.name}: disabled, environment variable(s) not set: {', '.join(missing)}")
                ch.enabled = False
            urls.append(expanded)
        ch.urls = urls
        register(urls)  # masked in every log line from here on
    return config


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    """A warning about the configuration, once per process (it is read again on every reload)."""
    if message not in _WARNED:
        _WARNED.add(message)
        log.warning("%s", message)


def env_channel() -> ChannelConfig | None:
    """MONITOR_ALERT_URLS (whitespace-separated Apprise URLs): a channel for every new event."""
    urls = os.environ.get("MONITOR_ALERT_URLS", "").split()
    register(urls)
    return ChannelConfig(name="env", urls=urls) if urls else None


def active_channels(config: Config) -> list[ChannelConfig]:
    chans = [c for c in config.channels if c.enabled]
    env = env_channel()
    if env and not any(c.name == env.name for c in chans):
        chans.append(env)
    return chans


class OpmlFeeds(NamedTuple):
    watchers: list[WatcherConfig]
    skipped: list[Skipped]  # name: the outline's title (and URL); reason: why it is not a watcher
    titles: dict[str, str]  # a watcher's URL -> the title its outline gave it


def read_opml(data: bytes, *, interval: str = "30m") -> OpmlFeeds:
    """The feeds of an OPML subscription list (nested outlines included) as watchers, and every
    outline that is not one, with the reason (a folder, an outline with children, is neither)."""
    import defusedxml.ElementTree as ET
    from defusedxml import DefusedXmlException

    try:
        WatcherConfig._interval(interval)
    except ValueError as e:
        raise ConfigError(f"interval {interval!r}: {e}") from None
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as e:
        raise ConfigError(f"not a readable OPML file ({type(e).__name__}: {e})") from None
    out: list[WatcherConfig] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}  # url -> title of the outline that had it first
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or "").strip()
        title = (node.get("title") or node.get("text") or url).strip()
        if not url:
            if len(node) == 0:  # no children: a link or a heading, not a folder
                skipped.append(Skipped(title or "(an outline without a title)", "no xmlUrl: a link or a heading, not a feed"))
            continue
        label = f"{title} ({url})" if title != url else url
        if url in seen:
            skipped.append(Skipped(label, f"the same feed as {seen[url]}"))
            continue
        if not re.match(r"^https?://", url):
            skipped.append(Skipped(label, "not an http:// or https:// URL"))
            continue
        name = re.sub(r"[^A-Za-z0-9\u4e00-\u9fff._-]+", "-", title).strip("-").lower()[:60] or "feed"
        try:
            watcher = WatcherConfig(name=name, url=url, interval=interval)
        except ValidationError as e:
            skipped.append(Skipped(label, "; ".join(err["msg"].removeprefix("Value error, ") for err in e.errors())))
            continue
        seen[url] = title
        out.append(watcher)
    return OpmlFeeds(out, skipped, seen)


def append_watchers(path: Path, new: list[WatcherConfig], existing: Config) -> list[WatcherConfig]:
    """Append watchers to watchers.yaml as text (comments kept); skip URLs already watched and
    make names unique. Returns what was added."""
    urls = {w.url for w in existing.watchers}
    names = {w.name for w in existing.watchers}
    added = []
    for w in new:
        if w.url in urls:
            continue
        base, n = w.name, 2
        while w.name in names:
            w = w.model_copy(update={"name": f"{base}-{n}"})
            n += 1
        names.add(w.name)
        urls.add(w.url)
        added.append(w)
    if not added:
        return added
    text = path.read_text("utf-8") if path.exists() else ""
    lines = [] if re.search(r"^watchers:", text, re.M) else ["watchers:"]
    for w in added:
        lines += [f"  - name: {json.dumps(w.name, ensure_ascii=False)}", f"    url: {json.dumps(w.url)}",
                  f"    interval: {w.interval}"]
    body = text.rstrip("\n") + "\n" if text else ""
    if not re.search(r"^watchers:", text, re.M):
        body += "\n"
    path.write_text(body + "\n".join(lines) + "\n", "utf-8")
    return added
