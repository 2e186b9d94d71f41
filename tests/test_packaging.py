"""The project's own files agree with what they say: the licence in the SPDX form current
setuptools reads without warnings, and the README's figures about the test suite."""
from __future__ import annotations

import re
import tomllib

from tests.alerts.test_crash import RUNS
from tests.conftest import ROOT


def test_licence_is_an_spdx_string():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"  # not {text = ...}: deprecated, ~90 warnings a pip install
    need = re.search(r"setuptools>=(\d+)", " ".join(project["build-system"]["requires"]))
    assert need and int(need.group(1)) >= 77  # the first setuptools that reads an SPDX string


def test_readme_states_how_often_the_crash_test_runs():
    readme = (ROOT / "README.md").read_text()
    assert f"the test suite runs it {RUNS} times" in readme
