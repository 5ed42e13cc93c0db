"""`inspect eval hackgym/betley` resolves: Inspect finds the suite's tasks through hackgym's `inspect_ai` entry
point, in a fresh interpreter that has not imported hackgym (as the `inspect` command starts)."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from hackgym.evals.registry import ALL

PROBE = """
import sys
from inspect_ai import Task
from inspect_ai.util import registry_create

assert "hackgym" not in sys.modules
for name in sys.argv[1:]:
    task = registry_create("task", f"hackgym/{name}")  # what `inspect eval hackgym/NAME` looks up
    assert isinstance(task, Task) and task.name == f"hackgym/{name}", (name, task)
    print(task.name, len(task.dataset))
"""


def test_the_entry_point_is_installed():
    eps = {ep.name: ep.value for ep in entry_points(group="inspect_ai")}
    assert eps.get("hackgym") == "hackgym.evals._registry", (
        f"inspect_ai entry points {eps}: reinstall the package metadata (pip install --no-deps -e .)")


def test_inspect_resolves_every_suite_task_by_package_name(tmp_path):
    run = subprocess.run([sys.executable, "-c", PROBE, *ALL], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert [line.split()[0] for line in run.stdout.splitlines()] == [f"hackgym/{n}" for n in ALL]
