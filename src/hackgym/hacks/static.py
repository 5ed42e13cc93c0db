"""Static analysis shared by the signatures: resolve what a name really refers to, through renaming,
aliasing and indirection (`import os as o`, `getattr(__import__("o" + "s"), "_exit")`,
`sys.modules["os"]`, `importlib.import_module(...)`, assignments, and code hidden in `exec` of decoded
strings), so a signature can ask "is os._exit called anywhere?" and mean it.
"""

from __future__ import annotations

import ast
import base64
import binascii
import bz2
import codecs
import copy
import functools
import gzip
import lzma
import zlib
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
            chars = _const_chars(arg, env)
            return sep.join(chars) if sep is not None and chars is not None else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "codecs" and func.attr == "decode" and len(node.args) >= 2 and (folded := _codecs_decode(node, env)) is not None:
            return folded
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
    return _const_str_more(node, env)


_DECODERS = {
    "b64decode": lambda b: base64.b64decode(b), "standard_b64decode": lambda b: base64.b64decode(b),
    "urlsafe_b64decode": lambda b: base64.urlsafe_b64decode(b), "b32decode": lambda b: base64.b32decode(b),
    "b16decode": lambda b: base64.b16decode(b, casefold=True), "b85decode": lambda b: base64.b85decode(b),
    "a85decode": lambda b: base64.a85decode(b), "unhexlify": lambda b: binascii.unhexlify(b),
    "a2b_hex": lambda b: binascii.a2b_hex(b), "a2b_base64": lambda b: binascii.a2b_base64(b),
    "decodebytes": lambda b: base64.decodebytes(b), "decompress": lambda b: _decompress(b),
}
_CODECS = {"hex": binascii.unhexlify, "base64": base64.b64decode, "zlib": lambda b: zlib.decompress(b),
           "bz2": lambda b: bz2.decompress(b)}


def _decompress(raw: bytes) -> bytes:
    """zlib, gzip, bz2 or lzma data, whichever it is (all are one call in the standard library)."""
    for fn in (zlib.decompress, gzip.decompress, bz2.decompress, lzma.decompress):
        try:
            return fn(raw)
        except Exception:  # noqa: BLE001,S112 - not this format: try the next
            continue
    raise ValueError("not compressed data")


def _codecs_decode(node: ast.Call, env: dict[str, str]) -> str | None:
    raw, enc = const_str(node.args[0], env), const_str(node.args[1], env)
    if raw is None or not enc:
        return None
    enc = enc.replace("-", "_").lower().removesuffix("_codec")
    if enc in ("rot13", "rot_13"):
        return codecs.decode(raw, "rot13")
    if enc in _CODECS:
        try:
            return _CODECS[enc](raw.encode("latin-1")).decode("latin-1")
        except Exception:  # noqa: BLE001 - malformed payload: not foldable
            return None
    return None


def _const_ints(node: ast.AST, env: dict[str, str]) -> list[int] | None:
    """A literal list/tuple of small ints, or the code points of a constant string."""
    if isinstance(node, ast.List | ast.Tuple) and all(isinstance(e, ast.Constant) and type(e.value) is int for e in node.elts):
        values = [e.value for e in node.elts]  # type: ignore[attr-defined]
        return values if all(0 <= v < 0x110000 for v in values) else None
    return None


def _const_chars(node: ast.AST, env: dict[str, str]) -> list[str] | None:
    """Iterables that fold to characters: map(chr, [..]), (chr(c) for c in [..]), reversed("..."), a string."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "map" and len(node.args) == 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == "chr":
            ints = _const_ints(node.args[1], env)
            return [chr(i) for i in ints] if ints is not None else None
        if node.func.id == "reversed" and len(node.args) == 1:
            text = const_str(node.args[0], env)
            return list(reversed(text)) if text is not None else None
    if isinstance(node, ast.GeneratorExp | ast.ListComp) and len(node.generators) == 1:
        gen = node.generators[0]
        elt = node.elt
        if (isinstance(elt, ast.Call) and isinstance(elt.func, ast.Name) and elt.func.id == "chr" and len(elt.args) == 1
                and isinstance(elt.args[0], ast.Name) and isinstance(gen.target, ast.Name)
                and elt.args[0].id == gen.target.id and not gen.ifs):
            ints = _const_ints(gen.iter, env)
            return [chr(i) for i in ints] if ints is not None else None
    text = const_str(node, env)
    return list(text) if text is not None else None


_STR_METHODS = {"lower", "upper", "strip", "lstrip", "rstrip", "swapcase", "casefold", "title", "capitalize"}


def _const_str_more(node: ast.AST, env: dict[str, str]) -> str | None:
    """Folds beyond the basic ones: more decoders (by bare or dotted name), bytes from ints, string methods,
    `%` and `*` on constants."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        text, times = const_str(node.left, env), node.right
        if text is not None and isinstance(times, ast.Constant) and type(times.value) is int and 0 <= times.value <= 64:
            return text * times.value
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        fmt = const_str(node.left, env)
        parts = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        values = [const_str(p, env) for p in parts]
        if fmt is not None and all(v is not None for v in values):
            try:
                return fmt % tuple(values)
            except (TypeError, ValueError):
                return None
        return None
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name in _DECODERS and node.args:
        raw = const_str(node.args[0], env)
        if raw is None:
            return None
        try:
            return _DECODERS[name](raw.encode("latin-1")).decode("latin-1")
        except Exception:  # noqa: BLE001 - malformed payload: not foldable
            return None
    if name in ("bytes", "bytearray") and len(node.args) == 1:
        ints = _const_ints(node.args[0], env)
        if ints is not None and all(i < 256 for i in ints):
            return bytes(ints).decode("latin-1")
        return None
    if isinstance(func, ast.Attribute):
        base = const_str(func.value, env)
        if base is None:
            return None
        if func.attr in _STR_METHODS and not node.args:
            return getattr(base, func.attr)()
        if func.attr == "replace" and len(node.args) == 2:
            old, new = const_str(node.args[0], env), const_str(node.args[1], env)
            return base.replace(old, new) if old is not None and new is not None else None
        if func.attr == "format" and not node.keywords:
            values = [const_str(a, env) for a in node.args]
            if all(v is not None for v in values):
                try:
                    return base.format(*values)
                except (IndexError, KeyError, ValueError):
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
        if (table := _qualname_table(self, node)) is not None:
            return table
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            fn = self.qualname(node.func)
            if fn in ("getattr", "builtins.getattr") and len(node.args) >= 2:
                base, attr = self.qualname(node.args[0]), fold(self, node.args[1])
                return f"{base}.{attr}" if base and attr else None
            if fn in _IMPORTERS and node.args:
                return fold(self, node.args[0])
            if fn in ("vars", "builtins.vars") and node.args:
                return self.qualname(node.args[0])
            return None
        if isinstance(node, ast.Subscript):
            base = self.qualname(node.value)
            key = fold(self, node.slice)
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


class _Dotted(ast.NodeTransformer):
    """Rewrite names bound by imports (`from base64 import b64decode as d`) to their dotted form."""

    def __init__(self, info: ModuleInfo) -> None:
        self.info = info

    def visit_Name(self, node: ast.Name) -> ast.AST:
        qual = self.info.aliases.get(node.id)
        if not qual or node.id in self.info.strings or not all(p.isidentifier() for p in qual.split(".")):
            return node
        parts = qual.split(".")
        out: ast.expr = ast.Name(id=parts[0], ctx=ast.Load())
        for part in parts[1:]:
            out = ast.Attribute(value=out, attr=part, ctx=ast.Load())
        return ast.copy_location(out, node)


def fold(info: ModuleInfo, node: ast.AST | None) -> str | None:
    """`const_str` that also sees through import aliases of decoders and string variables of the module."""
    if node is None:
        return None
    direct = const_str(node, info.strings)
    if direct is not None or not any(isinstance(n, ast.Name) and n.id in info.aliases for n in ast.walk(node)):
        return direct
    return const_str(_Dotted(info).visit(copy.deepcopy(node)), info.strings)


def _qualname_table(info: ModuleInfo, node: ast.AST) -> str | None:
    """Lookups in namespace tables: `sys.modules.get("os")`, `vars(os)["_exit"]`, `os.__dict__.get("_exit")`,
    `globals()["os"]`, `operator.attrgetter("_exit")(os)`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        key = fold(info, node.args[0])
        table = node.func.value
        if key is None:
            return None
        if info.qualname(table) == "sys.modules":
            return key
        if isinstance(table, ast.Attribute) and table.attr == "__dict__" and (base := info.qualname(table.value)):
            return f"{base}.{key}"
        if isinstance(table, ast.Call) and info.qualname(table.func) in ("vars", "builtins.vars") and table.args:
            base = info.qualname(table.args[0])
            return f"{base}.{key}" if base else None
        if isinstance(table, ast.Call) and info.qualname(table.func) in ("globals", "locals"):
            return info.aliases.get(key, key)
        return None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call):
        fn = info.qualname(node.value.func)
        key = fold(info, node.slice)
        if key is None:
            return None
        if fn in ("vars", "builtins.vars") and node.value.args and (base := info.qualname(node.value.args[0])):
            return f"{base}.{key}"
        if fn in ("globals", "locals"):
            return info.aliases.get(key, key)
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and node.args:
        inner = node.func
        if info.qualname(inner.func) in ("operator.attrgetter",) and inner.args:
            attr, base = fold(info, inner.args[0]), info.qualname(node.args[0])
            return f"{base}.{attr}" if attr and base else None
    return None


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
                s = fold(info, value)
                q = None if s is not None else info.qualname(value)
                for t in targets:
                    if isinstance(t, ast.Name):
                        if s is not None:
                            info.strings[t.id] = s
                        elif q and q != t.id:
                            info.aliases[t.id] = q
        _more_aliases(info)
        if (dict(info.aliases), dict(info.strings)) == before:
            return


def _bind(info: ModuleInfo, name: str, value: ast.AST) -> None:
    s = fold(info, value)
    if s is not None:
        info.strings[name] = s
    elif (q := info.qualname(value)) and q != name:
        info.aliases[name] = q


def _more_aliases(info: ModuleInfo) -> None:
    """Bindings the simple pass misses: `a, b = os, "_exit"` and parameter defaults `def f(stop=os._exit)`."""
    for node in ast.walk(info.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple | ast.List):
            for t in node.targets:
                if isinstance(t, ast.Tuple | ast.List) and len(t.elts) == len(node.value.elts):
                    for name, value in zip(t.elts, node.value.elts, strict=True):
                        if isinstance(name, ast.Name):
                            _bind(info, name.id, value)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            params = node.args.posonlyargs + node.args.args
            for arg, default in zip(params[len(params) - len(node.args.defaults):], node.args.defaults, strict=True):
                _bind(info, arg.arg, default)
            for arg, default in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True):
                if default is not None:
                    _bind(info, arg.arg, default)


def parse(file: str, source: str, depth: int = 0) -> ModuleInfo | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    info = ModuleInfo(file=file, source=source, tree=tree, depth=depth)
    _collect_aliases(info)
    return info


# Every family's signature walks the same files: parse each (file, source) once. Callers only read the result.
parse = functools.lru_cache(maxsize=2048)(parse)


def exec_payloads(info: ModuleInfo) -> Iterator[ModuleInfo]:
    """Code hidden in exec/eval/compile of strings that fold to constants, parsed as modules of their own."""
    if info.depth >= MAX_EXEC_DEPTH:
        return
    for name, call in info.calls():
        if name in ("exec", "eval", "compile") and call.args:
            text = fold(info, call.args[0])
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
