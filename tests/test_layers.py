"""The package's layers import downwards only (sources → parse → detect → events → store → alerts,
with the scheduler, web and CLI at the edges): every import in every module, including the ones
inside functions, is checked against the layer it may use."""
from __future__ import annotations

import ast

from tests.conftest import ROOT

PKG = ROOT / "monitor"
# a module (by its dotted prefix) -> the monitor modules it must never import
FORBIDDEN = {
    "monitor.records": ("monitor.",),
    "monitor.sources": ("monitor.detect", "monitor.events", "monitor.db", "monitor.alerts", "monitor.pipeline",
                        "monitor.analysis", "monitor.daemon", "monitor.workers", "monitor.web", "monitor.cli"),
    "monitor.parse": ("monitor.detect", "monitor.events", "monitor.db", "monitor.alerts", "monitor.pipeline",
                      "monitor.daemon", "monitor.workers", "monitor.web", "monitor.cli"),
    "monitor.detect": ("monitor.events", "monitor.db", "monitor.alerts", "monitor.pipeline", "monitor.daemon",
                       "monitor.workers", "monitor.web", "monitor.cli"),
    "monitor.detect.evaluate": ("monitor.db", "monitor.alerts", "monitor.pipeline", "monitor.daemon",
                                "monitor.workers", "monitor.web", "monitor.cli"),  # measurement: matches names as events do
    "monitor.events": ("monitor.db", "monitor.alerts", "monitor.pipeline", "monitor.daemon",
                       "monitor.workers", "monitor.web", "monitor.cli"),
    "monitor.db": ("monitor.detect", "monitor.alerts", "monitor.pipeline", "monitor.daemon", "monitor.workers",
                   "monitor.web", "monitor.cli"),
    "monitor.alerts": ("monitor.detect", "monitor.pipeline", "monitor.daemon", "monitor.workers", "monitor.web",
                       "monitor.cli"),
    "monitor.pipeline": ("monitor.daemon", "monitor.web", "monitor.cli"),
    "monitor.analysis": ("monitor.db", "monitor.daemon", "monitor.web", "monitor.cli"),
    "monitor.follow": ("monitor.events", "monitor.db", "monitor.alerts", "monitor.pipeline", "monitor.workers",
                       "monitor.daemon", "monitor.web", "monitor.cli"),  # beside analysis, in the workers
    "monitor.workers": ("monitor.db", "monitor.daemon", "monitor.web", "monitor.cli"),
    "monitor.daemon": ("monitor.web", "monitor.cli"),
    "monitor.web": ("monitor.cli", "monitor.daemon"),
}


def _imports(path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return {m for m in out if m.startswith("monitor.") or m == "monitor"}


def test_every_module_imports_only_the_layers_below_it():
    wrong = []
    for path in sorted(PKG.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        mod = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        layers = [k for k in FORBIDDEN if mod == k or mod.startswith(k + ".")]
        rule = FORBIDDEN[max(layers, key=len)] if layers else ()  # the most specific rule
        for imp in _imports(path):
            if imp == mod:
                continue
            if any(imp.startswith(f) if f.endswith(".") else (imp == f or imp.startswith(f + ".")) for f in rule):
                wrong.append(f"{mod} imports {imp}")
    assert not wrong, "\n".join(wrong)


def test_the_poller_loads_no_parser_no_detector_and_no_chinese_stack():
    """The daemon's own process hands out polls and stores results: the parsers, the detector
    and the Chinese stack (jieba, OpenCC, pypinyin) load in the workers, when an item needs them."""
    import subprocess
    import sys

    heavy = ["jieba", "opencc", "pypinyin", "feedparser", "lxml", "trafilatura", "dateparser",
             "monitor.detect.engine", "monitor.detect.names", "monitor.parse.document",
             "pygments", "httpx._main"]  # httpx's own command line: not ours to load
    code = f"import sys, monitor.daemon; print([m for m in {heavy!r} if sys.modules.get(m) is not None])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
