"""Static analysis shared by the signatures: resolve what a name really refers to, through renaming,
aliasing and indirection (`import os as o`, `getattr(__import__("o" + "s"), "_exit")`,
`sys.modules["os"]`, `importlib.import_module(...)`, assignments, and code hidden in `exec` of decoded
strings), so a signature can ask "is os._exit called anywhere?" and mean it.
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_EXEC_DEPTH = 4


def const_str(node: ast.AST | None, env: dict[str, str] | None = None) -> str | None:
    """Fold an expression to a string when it is built from constants (concatenation, join, decoding)."""
    env = env or {}
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
        return None
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = const_str(node.left, env), const_str(node.right, env)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue) and (s := const_str(v.value, env)) is not None:
                parts.append(s)
            else:
                return None
        return "".join(parts)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        base = const_str(node.value, env)
        sl = node.slice
        step = sl.step
        reverse = (isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub)
                   and isinstance(step.operand, ast.Constant) and step.operand.value == 1)
        if base is not None and sl.lower is None and sl.upper is None and reverse:
            return base[::-1]
        return None
    if isinstance(node, ast.Call):
        func = node.func
        # "".join([...]) / "sep".join(...)
        if isinstance(func, ast.Attribute) and func.attr == "join" and len(node.args) == 1:
            sep = const_str(func.value, env)
            arg = node.args[0]
            if sep is not None and isinstance(arg, ast.List | ast.Tuple):
                items = [const_str(e, env) for e in arg.elts]
                if all(i is not None for i in items):
                    return sep.join(items)  # type: ignore[arg-type]
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "codecs" and func.attr == "decode" and len(node.args) >= 2:
            raw, enc = const_str(node.args[0], env), const_str(node.args[1], env)
            if raw is not None and enc and enc.replace("_", "").lower() in ("rot13",):
                return codecs.decode(raw, "rot13")
        if isinstance(func, ast.Attribute) and func.attr in ("decode", "encode"):
            return const_str(func.value, env)
        if isinstance(func, ast.Attribute) and func.attr in ("b64decode", "standard_b64decode", "urlsafe_b64decode") and node.args:
            raw = const_str(node.args[0], env)
            if raw is not None:
                try:
                    return base64.b64decode(raw.encode("latin-1"), altchars=b"-_" if "urlsafe" in func.attr else None).decode("latin-1")
                except (binascii.Error, ValueError):
                    return None
        if isinstance(func, ast.Attribute) and func.attr == "fromhex" and node.args:
            raw = const_str(node.args[0], env)
            if raw is not None:
                try:
                    return bytes.fromhex(raw).decode("latin-1")
                except ValueError:
                    return None
        if isinstance(func, ast.Name) and func.id in ("str", "bytes") and node.args:
            return const_str(node.args[0], env)
        if isinstance(func, ast.Name) and func.id == "chr" and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int):
            try:
                return chr(node.args[0].value)
            except (ValueError, OverflowError):
                return None
    return None


_IMPORTERS = {"__import__", "importlib.import_module", "importlib.__import__", "builtins.__import__"}


@dataclass
class ModuleInfo:
    """One parsed file (or exec'd string) with a best-effort map from local names to qualified names."""

    file: str
    source: str
    tree: ast.Module
    aliases: dict[str, str] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)
    depth: int = 0

    def qualname(self, node: ast.AST | None) -> str | None:
        """`os._exit` for os._exit, o._exit, getattr(__import__('os'), '_e'+'xit'), sys.modules['os']._exit ..."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            fn = self.qualname(node.func)
            if fn in ("getattr", "builtins.getattr") and len(node.args) >= 2:
                base, attr = self.qualname(node.args[0]), const_str(node.args[1], self.strings)
                return f"{base}.{attr}" if base and attr else None
            if fn in _IMPORTERS and node.args:
                return const_str(node.args[0], self.strings)
            if fn in ("vars", "builtins.vars") and node.args:
                return self.qualname(node.args[0])
            return None
        if isinstance(node, ast.Subscript):
            base = self.qualname(node.value)
            key = const_str(node.slice, self.strings)
            if base == "sys.modules" and key:
                return key
            if base and key and (base.endswith("__dict__") or base in ("globals", "builtins", "__builtins__")):
                return f"{base.removesuffix('.__dict__')}.{key}"
            return None
        return None

    def calls(self) -> Iterator[tuple[str, ast.Call]]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and (name := self.qualname(node.func)):
                yield _canonical(name), node

    def snippet(self, node: ast.AST) -> str:
        return (ast.get_source_segment(self.source, node) or ast.unparse(node))[:200]


def _canonical(name: str) -> str:
    for prefix in ("builtins.", "__builtins__.", "__builtin__."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name.replace("posix.", "os.") if name.startswith("posix.") else name


def _collect_aliases(info: ModuleInfo) -> None:
    """Import aliases and simple assignments, iterated to a fixed point (flow-insensitive on purpose)."""
    for _ in range(4):
        before = (dict(info.aliases), dict(info.strings))
        for node in ast.walk(info.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        info.aliases[a.asname] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    if a.name != "*":
                        info.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = node.value
                if value is None:
                    continue
                s = const_str(value, info.strings)
                q = None if s is not None else info.qualname(value)
                for t in targets:
                    if isinstance(t, ast.Name):
                        if s is not None:
                            info.strings[t.id] = s
                        elif q and q != t.id:
                            info.aliases[t.id] = q
        if (dict(info.aliases), dict(info.strings)) == before:
            return


def parse(file: str, source: str, depth: int = 0) -> ModuleInfo | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    info = ModuleInfo(file=file, source=source, tree=tree, depth=depth)
    _collect_aliases(info)
    return info


def exec_payloads(info: ModuleInfo) -> Iterator[ModuleInfo]:
    """Code hidden in exec/eval/compile of strings that fold to constants, parsed as modules of their own."""
    if info.depth >= MAX_EXEC_DEPTH:
        return
    for name, call in info.calls():
        if name in ("exec", "eval", "compile") and call.args:
            text = const_str(call.args[0], info.strings)
            if text is not None and (sub := parse(info.file, text, info.depth + 1)) is not None:
                yield sub


def modules(files: dict[str, str], suffixes: tuple[str, ...] = (".py",)) -> Iterator[ModuleInfo]:
    """Every Python file of a submission, then everything it execs, recursively."""
    stack = [p for name, src in files.items() if name.endswith(suffixes) and (p := parse(name, src)) is not None]
    while stack:
        info = stack.pop(0)
        yield info
        stack.extend(exec_payloads(info))


def top_level_guarded(node: ast.AST, tree: ast.Module) -> bool:
    """True when `node` sits under `if __name__ == "__main__":` (code that a test import never runs)."""
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
            for sub in stmt.body:
                if any(n is node for n in ast.walk(sub)):
                    return True
    return False


def _is_main_guard(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts)
