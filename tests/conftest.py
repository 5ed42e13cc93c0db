"""Shared test set-up: offline model hubs, one sandbox pool per mode for the whole session, and what a test
that cannot run here does.

A test that cannot run (no jail here, a declared dependency missing) skips on a developer's machine and FAILS
under CI (`CI=true`, which .ci/run and GitHub-style CI set): CI exists to run it, so a skip there would
report a green run that checked nothing. The one definition of "needs the jail" is the `jail` marker,
given to every test that uses the `jail_pool` or `jail` fixture as well; `needs(module, install)` does the
same for an optional package. Under CI any other skip fails too, unless its reason starts with
`OPTIONAL_HERE` (a host feature the code itself treats as optional, e.g. a cgroup layout).
"""

from __future__ import annotations

import importlib.util
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
OPTIONAL_HERE = "optional on this host: "  # prefix of the one kind of skip CI accepts
JAIL_FIXTURES = frozenset({"jail_pool", "jail"})


def cannot_run(reason: str) -> None:
    """Skip this test here; under CI fail it, saying why."""
    if CI:
        pytest.fail(f"CI=true and this test cannot run: {reason}. CI exists to run it, so it fails instead of "
                    "skipping; fix the CI machine.", pytrace=False)
    pytest.skip(reason)


def optional_here(reason: str) -> None:
    """Skip for a host feature the code treats as optional (allowed under CI too)."""
    pytest.skip(OPTIONAL_HERE + reason)


def jail_problem() -> str | None:
    """Why the jail cannot run here, or None (bubblewrap and unprivileged user namespaces work)."""
    from hackgym.sandbox import launch

    return launch.jail_problem()


def require_jail() -> None:
    if (problem := jail_problem()) is not None:
        cannot_run(f"no jail here (bubblewrap): {problem}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(module, install): needs an optional package (skip here, fail under CI)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if JAIL_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("jail") is None:
            item.add_marker(pytest.mark.jail)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("jail") is not None:
        require_jail()
    for mark in item.iter_markers("needs"):
        module = mark.args[0]
        install = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("install", f"pip install {module}")
        if importlib.util.find_spec(module) is None:
            cannot_run(f"{module} is not installed ({install})")


def _fail_skip_under_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Under CI, a skip from anywhere else (a bare pytest.skip, a skipif, a module-level importorskip) fails:
    CI cannot be flattered."""
    if not (CI and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if "Skipped: " in reason:
        reason = reason.split("Skipped: ", 1)[1]
    if reason.startswith(OPTIONAL_HERE):
        return
    report.outcome = "failed"
    report.longrepr = (f"CI=true and this test was skipped ({reason}). CI exists to run it, so it fails; fix the CI "
                       f"machine, or skip through conftest.optional_here() if the code treats the feature as optional.")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    _fail_skip_under_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    outcome = yield
    _fail_skip_under_ci(outcome.get_result())


@pytest.fixture(scope="session")
def jail_pool():
    from hackgym.sandbox import get_pool

    require_jail()
    return get_pool("jail")


@pytest.fixture(scope="session")
def basic():
    from hackgym.problems import load_problems

    return load_problems("basic")


@pytest.fixture(scope="session")
def humaneval():
    from hackgym.problems import load_problems

    return load_problems("humaneval")
