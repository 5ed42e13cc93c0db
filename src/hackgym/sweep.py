"""Sweeps: a grid of conditions x seeds x config keys, every cell a normal run directory.

A training config gains a `sweep:` section:

```yaml
sweep:
  seeds: [0, 1, 2]
  conditions: [vulnerable, hardened]   # default: every condition of the file
  grid: {grpo.learning_rate: [1.0e-4, 3.0e-4]}   # any config key, dotted
  parallel: 2                          # cells at once on this machine
  cpus_per_cell: 1                     # Ray resources per cell (and torch threads here)
  gpus_per_cell: 0
```

Cells live at OUT/CONDITION[/KEY=VALUE,...]/seed-N. A sweep is resumable by construction: a cell whose
metrics reach its last step is skipped, one that started is resumed from its newest complete checkpoint (the
run directory's own guarantee: no step lost, none written twice), the rest start fresh. Cells run one after
another, in parallel processes, or as Ray tasks (`ray_address`; "local" starts a Ray instance here). OUT/sweep.json
is the plan, OUT/sweep.jsonl an append-only log of what each cell did.
"""

from __future__ import annotations

import concurrent.futures as futures
import itertools
import json
import multiprocessing
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import HackgymError
from .records import append_jsonl, atomic_write
from .rundir import RunDir
from .train.config import ConfigError, TrainConfig, describe, load_configs, merge, read_yaml, validate

PLAN = "sweep.json"
LOG = "sweep.jsonl"
Status = Literal["done", "partial", "new"]


class SweepError(HackgymError):
    """A sweep cannot be planned or run as asked; the message names the key or the cell."""


class SweepSpec(BaseModel):
    """The `sweep:` section of a config file."""

    model_config = ConfigDict(extra="forbid")

    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    conditions: list[str] | None = None
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    parallel: int = Field(1, ge=1)
    cpus_per_cell: float = Field(1, gt=0)
    gpus_per_cell: float = Field(0, ge=0)


class Cell(BaseModel):
    """One run of the sweep: its condition, seed and grid values, where it lives and its resolved config."""

    name: str
    condition: str | None
    seed: int
    params: dict[str, Any]
    run_dir: str
    config: dict[str, Any]

    def train_config(self) -> TrainConfig:
        return validate(self.config, f"sweep cell {self.name}")


def _nested(key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def _slug(params: dict[str, Any]) -> str:
    text = ",".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in params.items())
    return re.sub(r"[^A-Za-z0-9_.,=+-]", "_", text)


def read_spec(path: Path) -> SweepSpec:
    raw = read_yaml(Path(path))
    try:
        return SweepSpec.model_validate(raw.get("sweep") or {})
    except ValidationError as exc:
        raise SweepError(describe(exc, f"{path}: sweep")) from None


def plan(path: str | Path, out: str | Path) -> tuple[SweepSpec, list[Cell]]:
    """The sweep's cells, each config validated (a bad grid value is named before anything runs)."""
    path, out = Path(path), Path(out)
    spec = read_spec(path)
    configs = load_configs(path)
    by_condition = {c.condition: c for c in configs}
    if spec.conditions is not None:
        unknown = [c for c in spec.conditions if c not in by_condition]
        if unknown:
            raise SweepError(f"{path}: sweep.conditions names unknown condition(s) {', '.join(unknown)}; "
                             f"the file has {', '.join(str(c) for c in by_condition)}")
        configs = [by_condition[c] for c in spec.conditions]
    keys = list(spec.grid)
    cells = []
    for base in configs:
        for values in itertools.product(*(spec.grid[k] for k in keys)):
            params = dict(zip(keys, values, strict=True))
            for seed in spec.seeds:
                raw = base.model_dump(mode="json")
                for key, value in params.items():
                    raw = merge(raw, _nested(key, value))
                raw["seed"] = seed
                label = base.condition or base.name
                if params:
                    raw["condition"] = f"{label} {_slug(params)}"
                folder = out / label / _slug(params) if params else out / label
                name = f"{raw.get('condition') or label}/seed-{seed}"
                try:
                    config = validate(raw, f"{path}: sweep cell {name}")
                except ConfigError as exc:
                    raise SweepError(str(exc)) from None
                cells.append(Cell(name=name, condition=config.condition, seed=seed, params=params,
                                  run_dir=str(folder / f"seed-{seed}"), config=config.model_dump(mode="json")))
    return spec, cells


def status(cell: Cell) -> Status:
    """done: its metrics reach the last step; partial: it started; new: nothing written yet."""
    run = RunDir(cell.run_dir)
    if not run.exists():
        return "new"
    steps = [int(r.get("step") or 0) for r in run.metrics()]
    return "done" if steps and max(steps) >= cell.config["steps"] else "partial"


def run_cell(cell_json: str, cache: str, threads: int | None = None) -> dict[str, Any]:
    """Train, resume or skip one cell; a plain function of strings, so a process pool or Ray can run it."""
    from .offline import quiet_libraries
    from .train.runner import resume, train

    quiet_libraries()
    cell = Cell.model_validate_json(cell_json)
    before = status(cell)
    if before == "done":
        return {"cell": cell.name, "action": "skipped"}
    config = cell.train_config()
    if threads and not config.backend.torch_threads:
        config.backend = config.backend.model_copy(update={"torch_threads": threads})
    if before == "partial":
        resume(Path(cell.run_dir), Path(cache))
        action = "resumed"
    else:
        train(config, Path(cell.run_dir), Path(cache))
        action = "trained"
    steps = max((int(r.get("step") or 0) for r in RunDir(cell.run_dir).metrics()), default=0)
    return {"cell": cell.name, "action": action, "steps": steps}


def _log(out: Path, record: dict[str, Any]) -> None:
    append_jsonl(out / LOG, [{"time": datetime.now(UTC).isoformat(timespec="seconds"), **record}])


def run_sweep(path: str | Path, out: str | Path, cache: str | Path, *, parallel: int | None = None,
              ray_address: str | None = None, after_cell: Callable[[Cell], None] | None = None,
              on_result: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run every cell not yet done; returns what each did. `after_cell` runs in this process once a cell is
    done (the evaluation chained to it), `on_result` sees each cell's result as it comes."""
    out, cache = Path(out).resolve(), Path(cache).resolve()  # cells may run in other processes or on other nodes
    spec, cells = plan(path, out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / PLAN, json.dumps({"config": str(path), "spec": spec.model_dump(mode="json"),
                                         "cells": [{k: v for k, v in c.model_dump().items() if k != "config"}
                                                   for c in cells]}, indent=2) + "\n")
    _log(out, {"event": "start", "cells": len(cells), "done": sum(status(c) == "done" for c in cells)})
    results: list[dict[str, Any]] = []

    def finished(cell: Cell, result: dict[str, Any]) -> None:
        _log(out, {"event": "cell", **result})
        if after_cell is not None:
            after_cell(cell)
        results.append(result)
        if on_result is not None:
            on_result(result)

    workers = parallel or spec.parallel
    threads = max(1, int(spec.cpus_per_cell))
    if ray_address is not None:
        import ray

        started = not ray.is_initialized()
        if started:
            ray.init(address=None if ray_address == "local" else ray_address, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        try:
            remote = ray.remote(num_cpus=spec.cpus_per_cell, num_gpus=spec.gpus_per_cell)(run_cell)
            pending = {remote.remote(c.model_dump_json(), str(cache), threads): c for c in cells}
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                cell = pending.pop(ready[0])
                finished(cell, ray.get(ready[0]))
        finally:
            if started:
                ray.shutdown()
    elif workers == 1:
        for cell in cells:
            finished(cell, run_cell(cell.model_dump_json(), str(cache), threads))
    else:
        context = multiprocessing.get_context("spawn")  # torch and the jail's pools do not survive fork
        with futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            jobs = {pool.submit(run_cell, c.model_dump_json(), str(cache), threads): c for c in cells}
            for job in futures.as_completed(jobs):
                finished(jobs[job], job.result())
    _log(out, {"event": "end", "cells": len(cells)})
    return results
