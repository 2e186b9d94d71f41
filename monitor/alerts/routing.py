"""Which channels get an alert: by tags (a channel with tags hears the watchers that share one;
a channel without tags, or tagged `all`, hears everything, backfill included), then by the
channel's filter (organisations, persons, kinds, languages, confidence)."""
from __future__ import annotations

from monitor.config import ChannelConfig
from monitor.events.names import org_key, person_keys
from monitor.records import Article, Departure

def _wants(ch: ChannelConfig, d: Departure, article: Article) -> bool:
    f = ch.filter
    if d.confidence < max(f.min_confidence, ch.min_confidence):
        return False
    if f.kinds and d.kind not in f.kinds:
        return False
    if f.languages and (article.language or "") not in f.languages:
        return False
    if f.orgs and org_key(d.org) not in {org_key(o) for o in f.orgs}:
        return False
    if f.persons:
        mine = set().union(*(person_keys(n) for n in [d.person, *d.aliases] if n))
        if not mine & set().union(*(person_keys(p) for p in f.persons)):
            return False
    return True


class Router:
    """Callable(departure, article) -> channel names; `updates` names the channels that also
    want "more sources" follow-ups."""

    def __init__(self, channels: list[ChannelConfig], source_tags: list[str] | None = None):
        self.channels = channels
        self.tags = set(source_tags or ())
        self.updates = {c.name for c in channels if c.updates}

    def __call__(self, d: Departure, article: Article) -> list[str]:
        out = []
        for ch in self.channels:
            if ch.waves == "only":
                continue
            if ch.tags and "all" not in ch.tags and not (self.tags & set(ch.tags)):
                continue
            if _wants(ch, d, article):
                out.append(ch.name)
        return out


    def waves(self, org_key_: str, org: str) -> list[str]:
        """Channels that want wave alerts for this organisation (their org filter applies)."""
        return [ch.name for ch in self.channels if ch.waves != "off"
                and (not ch.filter.orgs or org_key_ in {org_key(o) for o in ch.filter.orgs})]


def route(channels: list[ChannelConfig], source_tags: list[str] | None = None) -> Router:
    """The router for events from a source with `source_tags` (a watcher's; None for backfill)."""
    return Router(channels, source_tags)
