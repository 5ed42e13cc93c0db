"""The layer order of docs/architecture.md holds: no module under src/hackgym imports a module of a later tier.

The tier table lives in docs/architecture.md only (the `| tier | modules | job |` table); this test parses it,
so the rule a reader sees is the rule CI enforces. Every import counts: top-level and inside functions,
absolute and relative, `from X import Y` where Y is a submodule, and `importlib.import_module("hackgym.X")`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DOC = ROOT / "docs" / "architecture.md"
ROW = re.compile(r"^\|\s*(\d+)\s*\|([^|]*)\|")
NAME = re.compile(r"`(hackgym(?:\.\w+)*)`")


def tier_table(text: str) -> dict[str, int]:
    """{module prefix: tier} from the Markdown table whose header starts `| tier | modules |`."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if re.match(r"^\|\s*tier\s*\|\s*modules\s*\|", line))
    except StopIteration:
        raise AssertionError(f"{DOC}: no `| tier | modules | job |` table") from None
    table: dict[str, int] = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        m = ROW.match(line)
        assert m, f"{DOC}: a tier row must start `| N | `hackgym.x` |`: {line!r}"
        names = NAME.findall(m.group(2))
        assert names, f"{DOC}: tier {m.group(1)} names no module: {line!r}"
        for name in names:
            assert name not in table, f"{DOC}: {name} is in tiers {table[name]} and {m.group(1)}"
            table[name] = int(m.group(1))
    return table


TIERS = tier_table(DOC.read_text(encoding="utf-8"))


def tier_of(module: str) -> tuple[str, int] | None:
    """(the table's entry, tier) for a module: the longest entry that is the module or a package above it.
    The bare `hackgym` entry is the package's own __init__ only, so an unplaced subpackage is not hidden."""
    if module == "hackgym":
        return ("hackgym", TIERS["hackgym"]) if "hackgym" in TIERS else None
    parts = module.split(".")
    for n in range(len(parts), 1, -1):
        prefix = ".".join(parts[:n])
        if prefix in TIERS:
            return prefix, TIERS[prefix]
    return None


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, src: Path = SRC) -> list[tuple[int, str, str]]:
    """(line, the import as written, the hackgym module it reaches) for every import in the file."""
    name = module_name(path, src)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, f"import {a.name}", a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: -(node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            written = f"from {'.' * node.level}{node.module or ''} import {', '.join(a.name for a in node.names)}"
            # `from pkg import sub` imports the submodule pkg.sub when there is one
            for a in node.names:
                sub = f"{target}.{a.name}"
                is_module = (src / Path(*sub.split("."))).with_suffix(".py").is_file() or \
                    (src / Path(*sub.split(".")) / "__init__.py").is_file()
                out.append((node.lineno, written, sub if is_module else target))
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            out.append((node.lineno, f"import_module({node.args[0].value!r})", node.args[0].value))
    return [(line, text, mod) for line, text, mod in out if mod == "hackgym" or mod.startswith("hackgym.")]


def _is_import_module(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "import_module") or \
        (isinstance(func, ast.Name) and func.id == "import_module")


def sources(src: Path = SRC) -> list[Path]:
    return sorted((src / "hackgym").rglob("*.py"))


def violations(src: Path = SRC) -> list[str]:
    """One line per import that reaches a later tier (or a module no tier places): file:line, import, tiers."""
    out = []
    for path in sources(src):
        mine = tier_of(module_name(path, src))
        if mine is None:
            continue  # test_every_module_has_a_tier names it
        where = path.relative_to(src.parent)
        for line, written, target in imports(path, src):
            theirs = tier_of(target)
            if theirs is None:
                out.append(f"{where}:{line}: `{written}` reaches {target}, which no tier places")
            elif theirs[1] > mine[1]:
                out.append(f"{where}:{line}: `{written}`: {mine[0]} (tier {mine[1]}) imports {theirs[0]} "
                           f"(tier {theirs[1]})")
    return out


def test_the_table_has_every_tier_of_the_layer_order():
    expected = ["hackgym.errors", "hackgym.records", "hackgym.offline", "hackgym.rundir", "hackgym.problems",
                "hackgym.submission", "hackgym.prompts", "hackgym.judging", "hackgym.sandbox", "hackgym.graders",
                "hackgym.hacks", "hackgym.audit", "hackgym.detect", "hackgym.metrics", "hackgym.sdf",
                "hackgym.organism", "hackgym.envs", "hackgym.train", "hackgym.evals", "hackgym.report",
                "hackgym.demo", "hackgym.cli"]
    missing = [m for m in expected if m not in TIERS]
    assert not missing, f"{DOC}: the tier table lacks {missing}"
    order = [TIERS[m] for m in expected]
    assert order == sorted(order), f"{DOC}: tiers out of the agreed order: {list(zip(expected, order, strict=True))}"
    assert len({TIERS[m] for m in ("hackgym.errors", "hackgym.records", "hackgym.offline", "hackgym.rundir")}) == 1
    assert TIERS["hackgym.cli"] > max(t for m, t in TIERS.items() if m != "hackgym.cli"), "nothing may import cli"


def test_every_module_has_a_tier():
    unplaced = [str(p.relative_to(ROOT)) for p in sources() if tier_of(module_name(p)) is None]
    assert not unplaced, f"modules in no tier of {DOC.relative_to(ROOT)} (add a row or a name to one): {unplaced}"


def test_no_import_reaches_a_later_tier():
    found = violations()
    assert not found, "imports against the layer order of docs/architecture.md:\n" + "\n".join(found)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / "src"
    for rel, text in files.items():
        file = src / "hackgym" / rel
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
    for d in (src / "hackgym").rglob("*"):
        if d.is_dir() and not (d / "__init__.py").exists():
            (d / "__init__.py").touch()
    (src / "hackgym" / "__init__.py").touch()
    return src


def test_a_reverse_import_is_named_with_file_line_and_tiers(tmp_path):
    src = _tree(tmp_path, {
        "sandbox/ray.py": "import os\n\n\ndef grader():\n    from ..graders import make_grader\n",
        "graders/__init__.py": "from ..sandbox import pool\n",
        "sandbox/pool.py": "",
        "report/__init__.py": "",
        "train/demo.py": "from .. import report\n",
    })
    assert violations(src) == [
        "src/hackgym/sandbox/ray.py:5: `from ..graders import make_grader`: hackgym.sandbox (tier 5) imports "
        "hackgym.graders (tier 6)",
        "src/hackgym/train/demo.py:1: `from .. import report`: hackgym.train (tier 14) imports hackgym.report (tier 16)",
    ]


@pytest.mark.parametrize(("source", "path", "expected"), [
    ("from ..graders import make_grader", "sandbox/ray.py", "hackgym.graders"),
    ("from .. import report", "train/demo.py", "hackgym.report"),
    ("from . import study", "hacks/__init__.py", "hackgym.hacks.study"),
    ("def f():\n    from hackgym.train.rundir import x", "evals/suite.py", "hackgym.train.rundir"),
    ("import importlib\nimportlib.import_module('hackgym.cli')", "audit.py", "hackgym.cli"),
])
def test_imports_are_resolved_as_python_does(tmp_path, source, path, expected):
    """The resolver sees relative, lazy and dynamic imports (checked on files written under a fake src/)."""
    src = _tree(tmp_path, {path: source + "\n", "hacks/study.py": "", "report/__init__.py": ""})
    assert expected in [mod for _, _, mod in imports(src / "hackgym" / path, src)]
