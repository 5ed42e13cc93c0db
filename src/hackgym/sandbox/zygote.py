"""The in-jail worker: a pre-started Python that forks once per job.

Runs as a standalone script inside the jail (standard library only, plus pytest when asked to preload it)
and is also imported by the host for the shared wire format. Host <-> zygote: frames of a 4-byte big-endian
length and UTF-8 JSON on the zygote's stdin/stdout. The zygote never trusts the job: a job child closes the
zygote's channel before any model code runs, the zygote is not dumpable (no ptrace, no /proc/PID/mem), and
after every job it kills and reaps every process left behind (it is a child subreaper).
"""

from __future__ import annotations

import _contextvars
import _locale
import _signal  # the C functions under `signal`: no enum made per call
import _thread
import _tracemalloc
import atexit
import contextlib
import ctypes
import faulthandler
import gc
import json
import math
import operator
import os
import resource
import select
import signal
import struct
import sys
import time
import traceback  # loaded before forking: a stdio case reports its program's errors as Python would
import types

MAX_FRAME = 16 * 1024 * 1024
MAX_DEPTH = 64
HELD_BYTES = 1 << 20  # a stdio job's case reports held back for one write to the host, at most
_HDR = struct.Struct(">I")

# ---------------------------------------------------------------- wire format


class ProtocolError(Exception):
    pass


def encode_frame(obj: object) -> bytes:
    data = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return _HDR.pack(len(data)) + data


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_frame(fd: int, obj: object) -> None:
    write_all(fd, encode_frame(obj))


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> dict:
    (size,) = _HDR.unpack(_read_exact(fd, 4))
    if size > MAX_FRAME:
        raise ProtocolError(f"frame of {size} bytes")
    obj = json.loads(_read_exact(fd, size).decode("utf-8"))
    if not isinstance(obj, dict):
        raise ProtocolError("frame is not an object")
    return obj


class FrameBuffer:
    """Splits a byte stream from an untrusted writer into frames; oversize or garbage is a ProtocolError."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[dict]:
        self.buf += data
        out = []
        while len(self.buf) >= 4:
            (size,) = _HDR.unpack(self.buf[:4])
            if size > MAX_FRAME:
                raise ProtocolError(f"frame of {size} bytes")
            if len(self.buf) < 4 + size:
                break
            raw = bytes(self.buf[4 : 4 + size])
            del self.buf[: 4 + size]
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise ProtocolError(f"malformed frame: {exc}") from None
            if not isinstance(obj, dict):
                raise ProtocolError("frame is not an object")
            out.append(obj)
        return out


# ---------------------------------------------------------------- plain data
# Values cross the boundary as tagged JSON so that the receiver rebuilds exact builtin types and nothing
# that runs code on load (no pickle). Anything else is refused.


class NotPlainData(TypeError):
    pass


def encode(value: object, depth: int = 0) -> object:
    if depth > MAX_DEPTH:
        raise NotPlainData("nested too deeply")
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        if abs(value) < 2**53:
            return value
        return {"int": str(value)}
    if t is float:
        if math.isfinite(value):
            return {"float": repr(value)}
        return {"float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if t is list:
        return [encode(v, depth + 1) for v in value]
    if t is tuple:
        return {"tuple": [encode(v, depth + 1) for v in value]}
    if t is dict:
        return {"dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if t is set or t is frozenset:
        return {t.__name__: [encode(v, depth + 1) for v in value]}
    if t is bytes:
        return {"bytes": value.hex()}
    if t is complex:
        return {"complex": [repr(value.real), repr(value.imag)]}
    raise NotPlainData(f"{t.__module__}.{t.__qualname__} is not plain data")


_HASHABLE = (type(None), bool, int, float, str, tuple, frozenset, bytes, complex)


def decode(obj: object, depth: int = 0) -> object:
    """Rebuild exact builtin values from `encode`'s output; raises NotPlainData on anything else."""
    if depth > MAX_DEPTH:
        raise NotPlainData("nested too deeply")
    t = type(obj)
    if obj is None or t is bool or t is str:
        return obj
    if t is int:
        return int(obj)
    if t is list:
        return [decode(v, depth + 1) for v in obj]
    if t is not dict or len(obj) != 1:
        raise NotPlainData(f"unexpected {t.__name__} on the wire")
    ((tag, v),) = obj.items()
    try:
        if tag == "int" and type(v) is str:
            return int(v)
        if tag == "float" and type(v) is str:
            return float(v)
        if tag == "tuple" and type(v) is list:
            return tuple(decode(x, depth + 1) for x in v)
        if tag == "dict" and type(v) is list:
            out = {}
            for pair in v:
                if type(pair) is not list or len(pair) != 2:
                    raise NotPlainData("bad dict item")
                key = decode(pair[0], depth + 1)
                if type(key) not in _HASHABLE:
                    raise NotPlainData("unhashable dict key")
                out[key] = decode(pair[1], depth + 1)
            return out
        if tag in ("set", "frozenset") and type(v) is list:
            items = [decode(x, depth + 1) for x in v]
            if any(type(x) not in _HASHABLE for x in items):
                raise NotPlainData("unhashable set item")
            return set(items) if tag == "set" else frozenset(items)
        if tag == "bytes" and type(v) is str:
            return bytes.fromhex(v)
        if tag == "complex" and type(v) is list and len(v) == 2:
            return complex(float(v[0]), float(v[1]))
    except (ValueError, TypeError) as exc:
        raise NotPlainData(str(exc)) from None
    raise NotPlainData(f"unknown tag {tag!r}")


# ---------------------------------------------------------------- process hygiene

_libc = None


def _prctl(option: int, arg: int) -> None:
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        _libc.prctl(option, arg, 0, 0, 0)
    except (OSError, AttributeError):
        pass


PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def _children_of(pid: int) -> list[int]:
    kids = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return kids
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        tail = stat[stat.rfind(b")") + 2 :].split()
        if len(tail) > 1 and int(tail[1]) == pid:
            kids.append(int(name))
    return kids


def _direct_children(pid: int) -> list[int]:
    """Children of `pid`: the kernel's list when it has one (cheap), else a scan of /proc."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", "rb") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return _children_of(pid)


def reap_all(in_pid_namespace: bool) -> int:
    """Kill and reap every process the last job left behind, also ones that called setsid.

    The zygote is a child subreaper, so every orphaned descendant becomes its child: killing and reaping
    direct children until none is left reaches all of them, whatever sessions or groups they made.
    Returns how many processes were killed (leftovers are an anomaly the host recycles the slot for).
    """
    me = os.getpid()
    killed = 0
    for _ in range(10000):
        if in_pid_namespace:
            with contextlib.suppress(OSError):
                os.kill(-1, signal.SIGKILL)  # in our own pid namespace: everything but us and its init
        kids = _direct_children(me)
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        reaped = False
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return killed
            if pid == 0:
                break
            reaped = True
        if not kids and not reaped:
            time.sleep(0.001)
    return killed


# ---------------------------------------------------------------- job children (model code runs here)


def _limit(res: int, value: int | None) -> None:
    if value is None:
        return
    try:
        resource.setrlimit(res, (value, value))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY and value > hard:
            resource.setrlimit(res, (hard, hard))


def _apply_limits(lim: dict) -> None:
    mb = 1024 * 1024
    _limit(resource.RLIMIT_AS, lim.get("mem_mb") and lim["mem_mb"] * mb)
    if lim.get("cpu_s"):  # SIGXCPU at the soft limit, SIGKILL a second later if the job ignores it
        cpu = int(math.ceil(lim["cpu_s"]))
        try:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        except (ValueError, OSError):
            _limit(resource.RLIMIT_CPU, cpu)
    _limit(resource.RLIMIT_NPROC, lim.get("nproc"))
    _limit(resource.RLIMIT_FSIZE, lim.get("fsize_mb") and lim["fsize_mb"] * mb)
    _limit(resource.RLIMIT_NOFILE, lim.get("nofile", 256))
    _limit(resource.RLIMIT_CORE, 0)


def _use_submission_folder(job: dict) -> None:
    """Put the job's `sys_path` (the submission's folder) first on the import path, as a script's folder is.

    Every Python job that loads a submission does this, so `solution.py` finds its sibling modules and
    packages the same way under every grader. Only this job child's path changes: the zygote's own does not,
    and nothing runs at start-up (no `site`, so a submitted `sitecustomize.py` is an ordinary module). A
    module the interpreter had imported before the job (json, os, pytest...) stays the one `import` finds.
    """
    for path in reversed(job.get("sys_path", [])):
        sys.path.insert(0, path)


def _child_serve(job: dict, req_fd: int, res_fd: int) -> None:
    import importlib.util

    _use_submission_folder(job)
    try:
        spec = importlib.util.spec_from_file_location("solution", os.path.join(job["workdir"], "solution.py"))
        if spec is None or spec.loader is None:
            raise ImportError("no solution.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["solution"] = module
        spec.loader.exec_module(module)
        func = getattr(module, job["entry_point"])
        if not callable(func):
            raise TypeError(f"{job['entry_point']} is not callable")
    except BaseException as exc:  # noqa: BLE001 - any failure to load is the submission's error
        write_frame(res_fd, {"op": "loaded", "ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]})
        os._exit(3)
    write_frame(res_fd, {"op": "loaded", "ok": True})
    while True:
        try:
            req = read_frame(req_fd)
        except EOFError:
            os._exit(0)
        try:
            args = decode(req["args"])
            value = func(*args)
            reply = {"op": "result", "id": req["id"], "ok": True, "value": encode(value)}
        except BaseException as exc:  # noqa: BLE001
            reply = {"op": "result", "id": req["id"], "ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        write_frame(res_fd, reply)


class _Recorder:
    """The job's own pytest plugin: per-test outcomes for the host (one class for all jobs: its fixture scan is
    noted once, as pytest's own classes' are)."""

    def __init__(self) -> None:
        self.reports: list[dict] = []

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or report.outcome != "passed":
            self.reports.append({"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome})


def _child_pytest(job: dict, res_fd: int) -> None:
    recorder = _Recorder()
    _use_submission_folder(job)
    prebuilt = job.get("prebuilt", True) and _TEMPLATES.get(_plugin_args(job["pytest_args"])) is not None
    if not prebuilt:
        _REWRITTEN.clear()  # plain pytest.main rewrites every test module itself
        _LINENOS.clear()  # and parses every source its tracebacks show
    code = _pytest_main(job["pytest_args"], recorder, prebuilt)
    with contextlib.suppress(OSError, ValueError):  # `prebuilt` says which path ran (for tests and benchmarks)
        write_frame(res_fd, {"op": "report", "exit": int(code), "reports": recorder.reports, "prebuilt": prebuilt,
                             "rewritten": _REWRITE_HITS[0], "remembered": _LINENOS_HITS[0]})
    # end the way `python -m pytest` would: exit handlers run and may change the status, as they can there
    import atexit

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


# ---------------------------------------------------------------- pytest at pool speed
# A small job spends most of pytest.main building the plugin manager (thirty-odd default plugins, their options)
# and scanning those plugins for fixtures: the same work for every job. The zygote does it once, before forking,
# with pytest's own code (get_config; the fixture scan recorded per plugin module). Each job child then goes on
# exactly as pytest.main would: parse the job's arguments and ini files, load conftests, configure, start a
# session, collect afresh and run. Anything pytest.main alone handles (--version) takes pytest.main itself.

_TEMPLATES: dict[tuple[str, ...], object] = {}  # `-p` arguments -> a Config as get_config left it
# A fingerprint holds the ids of a namespace's values; each record also holds the values themselves, so that no
# object a job makes can take one of those ids. The dicts' version tags, where the interpreter keeps them, answer
# first: an unchanged tag is an unchanged dict, found without reading (and so writing) a value.
_SCANS: dict[int, tuple] = {}  # id(plugin module) -> (module, fingerprint, fixtures, values, tags)
_BARE: dict[int, tuple] = {}  # id(class) -> (class, fingerprint, values, tags) of pytest's classes with no fixture
# (path, source) -> the code pytest's assertion rewriting makes of that test module: what pytest itself caches in a
# pyc keyed by the source's hash, kept here because no job may write a cache that a later job reads
_REWRITTEN: dict[tuple[str, bytes], object] = {}
_REWRITTEN_KEEP = 64
_LINENOS: dict[str, list[int]] = {}  # source text -> its statements' line numbers, as pytest's traceback code finds
_REWRITE_HITS = [0]  # in a job child: imports answered from _REWRITTEN (its report says how many)
_LINENOS_HITS = [0]  # in a job child: traceback sources answered from _LINENOS


def _plugin_args(args: list[str]) -> tuple[str, ...] | None:
    """The `-p` values get_config acts on (its template key); None when only pytest.main may run these args."""
    if "--version" in args or "-V" in args:
        return None
    out, i = [], 0
    while i < len(args):
        opt = args[i]
        i += 1
        if opt == "-p":
            if i == len(args):
                return None
            out.append(args[i].strip())
            i += 1
        elif opt.startswith("-p"):
            out.append(opt[2:].strip())
    return tuple(out)


def _fingerprint(module) -> tuple:
    d = module.__dict__
    return tuple(d), tuple(map(id, d.values()))


def _class_fingerprint(cls: type) -> tuple:
    return tuple((id(c), *_fingerprint(c)) for c in cls.__mro__)


def _bare(cls: type) -> tuple:
    return (cls, _class_fingerprint(cls), tuple(tuple(c.__dict__.values()) for c in cls.__mro__),
            _tags(*(gc.get_referents(c.__dict__)[0] for c in cls.__mro__)))


def _tags(*namespaces: dict) -> tuple:
    """Version-tag probes of these dicts with their tags now; empty where the interpreter keeps no tags."""
    if not _TAGGED:
        _TAGGED.append(_versions_usable())
    if not _TAGGED[0] or not all(type(d) is dict for d in namespaces):
        return ()
    probes = tuple(map(_version_probe, namespaces))
    return tuple((probe, probe.value) for probe in probes)


def _untouched(tags: tuple) -> bool:
    """No dict of `tags` has changed since (read in place: a job checking writes no page it shares)."""
    return bool(tags) and all(probe.value == tag for probe, tag in tags)


_TAGGED: list[bool] = []  # whether dict version tags can be read here (checked once)


def _still_bare(cls: type, recorded: tuple) -> bool:
    """Whether a scan of this fixture-free class would still find no fixture.

    Unchanged, it would not. Neither would it when the only names added or rebound since hold properties or plain
    functions that wrap nothing (what pytest's legacypath plugin puts on Config, Session and TerminalReporter at
    every configure): a scan takes neither for a fixture, nor warns about it. A name removed from one class could
    uncover a fixture of a base class, so that calls for a real scan, as any other change does.
    """
    now = _class_fingerprint(cls)
    if now == recorded:
        return True
    if len(now) != len(recorded):
        return False
    for klass, (cid, names, ids), (rid, rnames, rids) in zip(cls.__mro__, now, recorded, strict=True):
        if cid != rid:
            return False
        if names == rnames and ids == rids:
            continue
        before = dict(zip(rnames, rids, strict=True))
        if not before.keys() <= set(names):
            return False
        for name, ident in zip(names, ids, strict=True):
            if before.get(name) != ident and not _never_a_fixture(klass.__dict__[name]):
                return False
    return True


def _never_a_fixture(value: object) -> bool:
    if type(value) is property:
        return True
    return type(value) is _FUNCTION and "__wrapped__" not in value.__dict__


_FUNCTION = type(_still_bare)


def prebuild_pytest(args: list[str]) -> None:
    """In the zygote, before a pytest job forks: the template Config for its `-p` arguments (once per key).

    A failure leaves no template, and the job child runs pytest.main as it is.
    """
    key = _plugin_args(args)
    if key is None or key in _TEMPLATES:
        return
    try:
        import types

        from _pytest import fixtures
        from _pytest.config import get_config

        template = get_config([a for k in key for a in ("-p", k)], prog="pytest.main()")
        if not _SCANS:
            _install_scan_memo(fixtures)

        class Scan(fixtures.FixtureManager):
            def __init__(self) -> None:  # only parsefactories' own work: no session
                self.calls: list[dict] = []

            def _register_fixture(self, **kw) -> None:
                self.calls.append({k: v for k, v in kw.items() if k not in ("node", "nodeid")})

        for plugin in template.pluginmanager.get_plugins():
            if isinstance(plugin, types.ModuleType) and id(plugin) not in _SCANS:
                scan = Scan()
                scan.parsefactories(holder=plugin, node=None)
                _SCANS[id(plugin)] = (plugin, _fingerprint(plugin), scan.calls, tuple(plugin.__dict__.values()),
                                      _tags(plugin.__dict__))
        # the plugin objects a session registers (terminal reporter, capture manager, session...) are instances of
        # pytest's own classes: a scan looks only at their class, so a class without fixtures is noted once
        classes = [_Recorder]
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] in ("_pytest", "pytest"):
                classes += [cls for cls in list(vars(module).values())
                            if isinstance(cls, type) and cls.__module__ == name]
        for cls in classes:
            if id(cls) not in _BARE:
                scan = Scan()
                scan.parsefactories(holder=cls, node=None)
                if not scan.calls:
                    _BARE[id(cls)] = _bare(cls)
    except Exception:  # noqa: BLE001 - another pytest: the job runs plain pytest.main
        return
    # Not gc.freeze()d: a job's gc.get_objects() finds its session's plugin manager, as a solution may look for it
    # (runner_patch.live_plugin does), only when the template stays in the collected generations.
    _TEMPLATES[key] = template


def prepare_rewrite(paths: list[str]) -> None:
    """In the zygote, before a pytest job forks: the assertion-rewritten code of the grader's own test modules.

    The job child's import finds it when the file holds that same source (pytest reads the file in the job as
    always) and the job's ini does not turn on the assertion pass hook; anything else is rewritten in the job.
    """
    try:
        import ast

        from _pytest.assertion import rewrite
    except ImportError:
        return
    if not getattr(rewrite._rewrite_test, "hackgym_memo", False):
        # a pytest whose _rewrite_test gives the source's hash with the code (9.x); an older one gives os.stat's
        # result, which the memo could not give back as it would
        if "bytes" not in str(getattr(rewrite._rewrite_test, "__annotations__", {}).get("return", "")):
            return
        _install_rewrite_memo(rewrite)
    for path in paths:
        try:
            with open(path, "rb") as fh:
                source = fh.read()
            if (path, source) in _REWRITTEN:
                _REWRITTEN[(path, source)] = _REWRITTEN.pop((path, source))  # most recent last
                continue
            tree = ast.parse(source, filename=path)
            rewrite.rewrite_asserts(tree, source, path, None)
            _REWRITTEN[(path, source)] = compile(tree, path, "exec", dont_inherit=True)
        except Exception:  # noqa: BLE001 - the job rewrites it as pytest always does
            continue
        while len(_REWRITTEN) > _REWRITTEN_KEEP:
            del _REWRITTEN[next(iter(_REWRITTEN))]


def _install_rewrite_memo(rewrite) -> None:
    """pytest's _rewrite_test (read, parse, rewrite the asserts, compile) answered from _REWRITTEN when it holds
    the file's path and current source: the same code object pytest would have compiled."""
    import importlib.util

    rewrite_test = rewrite._rewrite_test

    def _rewrite_test(fn, config):
        if _REWRITTEN and not config.getini("enable_assertion_pass_hook"):
            source = fn.read_bytes()
            code = _REWRITTEN.get((str(fn), source))
            if code is not None:
                _REWRITE_HITS[0] += 1
                return importlib.util.source_hash(source), code
        return rewrite_test(fn, config)

    _rewrite_test.hackgym_memo = True
    rewrite._rewrite_test = _rewrite_test


def _install_scan_memo(fixtures) -> None:
    """A session's fixture scan of an unchanged default plugin module replays what the zygote's scan found, and
    that of an instance of an unchanged fixture-free pytest class finds nothing, as the zygote's scan did.

    A module some conftest or plugin changed since (any name added, removed or rebound) is scanned afresh, and so
    is a class, unless `_still_bare` finds only changes a scan ignores.
    """
    import types

    scan = fixtures.FixtureManager.parsefactories
    notset = fixtures.NOTSET

    def parsefactories(self, node_or_obj=notset, nodeid=notset, *, holder=notset, node=notset):
        if holder is notset or node is not getattr(self, "session", None):
            return scan(self, node_or_obj, nodeid, holder=holder, node=node)
        if not isinstance(holder, (type, types.ModuleType)):
            bare = _BARE.get(id(type(holder)))
            if bare is not None and bare[0] is type(holder) and (_untouched(bare[3]) or _still_bare(bare[0], bare[1])):
                return None
            return scan(self, node_or_obj, nodeid, holder=holder, node=node)
        entry = _SCANS.get(id(holder))
        if entry is None or entry[0] is not holder or not (_untouched(entry[4]) or _fingerprint(holder) == entry[1]):
            return scan(self, node_or_obj, nodeid, holder=holder, node=node)
        for kw in entry[2]:
            self._register_fixture(node=node, **kw)
        return None

    fixtures.FixtureManager.parsefactories = parsefactories


def _pytest_main(args: list[str], plugin: object, prebuilt: bool) -> int:
    """pytest.main(args, plugins=[plugin]) from the zygote's template Config when there is one for these args."""
    import pathlib

    import pytest

    template = _TEMPLATES.get(_plugin_args(args)) if prebuilt else None
    if template is None:
        return pytest.main(args, plugins=[plugin])
    # From here on, _pytest.config._main and _prepareconfig after their get_config call (pytest 9.2).
    from _pytest.config import (
        Config,
        ConftestImportFailure,
        ExitCode,
        PluginImportFailure,
        UsageError,
        print_conftest_import_error,
        print_plugin_import_error,
        print_usage_error,
    )

    old_version = os.environ.get("PYTEST_VERSION")
    try:
        os.environ["PYTEST_VERSION"] = pytest.__version__
        template.invocation_params = Config.InvocationParams(args=args, plugins=[plugin], dir=pathlib.Path.cwd())
        pluginmanager = template.pluginmanager
        try:
            try:
                pluginmanager.register(plugin)
                config = pluginmanager.hook.pytest_cmdline_parse(pluginmanager=pluginmanager, args=args)
            except BaseException:
                template._ensure_unconfigure()
                raise
        except ConftestImportFailure as e:
            print_conftest_import_error(e, file=sys.stderr)
            return ExitCode.USAGE_ERROR
        except PluginImportFailure as e:
            print_plugin_import_error(e, file=sys.stderr)
            return ExitCode.INTERNAL_ERROR
        try:
            ret = config.hook.pytest_cmdline_main(config=config)
            try:
                return ExitCode(ret)
            except ValueError:
                return ret
        finally:
            config._ensure_unconfigure()
    except UsageError as e:
        print_usage_error(e, file=sys.stderr)
        return ExitCode.USAGE_ERROR
    finally:
        if old_version is None:
            os.environ.pop("PYTEST_VERSION", None)
        else:
            os.environ["PYTEST_VERSION"] = old_version


def _child_exec(job: dict) -> None:
    env = dict(job.get("env") or {"PATH": "/usr/bin:/bin"})
    extra = [p for p in sys.path if p.endswith(("/opt/hg/site", "site-packages"))]
    env.setdefault("PYTHONPATH", os.pathsep.join(extra))  # so that `{python} -m pytest` finds pytest
    os.execvpe(job["argv"][0], job["argv"], env)


_JOB_DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGTERM, signal.SIGINT)  # a job child's are the defaults


def _run_child(job: dict, fds: dict) -> None:
    """In the forked child: rewire fds, drop the zygote's channel, apply limits, run the job."""
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(fds["out_w"], 1)
        os.dup2(fds["err_w"], 2)
        os.dup2(fds["req_r"], 3)
        os.dup2(fds["res_w"], 4)
        if "case_out" in fds:  # a shared stdio job: the files each case prints into
            os.dup2(fds["case_out"], _CASE_OUT)
            os.dup2(fds["case_err"], _CASE_ERR)
        os.closerange(_CASE_IN if "case_out" in fds else 5, 65536)
        if job["mode"] != "stdio":  # a stdio job gives each case its own streams
            sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
            sys.stdin = open(0, closefd=False)  # noqa: SIM115
        for sig in _JOB_DEFAULT_SIGNALS:
            _signal.signal(sig, _signal.SIG_DFL)
        os.chdir(job["cwd"])
        # Under a memory cgroup the job, not the zygote, is the one the OOM killer picks. A non-dumpable
        # process's /proc files belong to root, so the child is briefly dumpable to raise its own score.
        _prctl(PR_SET_DUMPABLE, 1)
        try:  # os-level: a text file object would cost every job a fraction of a millisecond
            oom = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
            try:
                os.write(oom, b"1000")
            finally:
                os.close(oom)
        except OSError:
            pass
        _prctl(PR_SET_DUMPABLE, 0)
        _apply_limits(job.get("limits", {}))
        mode = job["mode"]
        if mode != "stdio":  # a stdio case sets its own; left alone, `sys` is as noted when the first case starts
            sys.argv = ["solution"]
        if mode == "serve":
            _child_serve(job, 3, 4)
        elif mode == "pytest":
            _child_pytest(job, 4)
        elif mode == "exec":
            _child_exec(job)
        elif mode == "stdio":
            _child_stdio(job, 4)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    os._exit(70)


# ---------------------------------------------------------------- stdio programs: a fresh process per case
# A `stdio` job runs a submitted program once per case, stdin fed, stdout captured, in the job child: it
# compiles solution.py once, then forks itself per case (no interpreter start, no per-case compile) and runs
# the code as `python solution.py` would run it. Each case is its own process in its own session, and what a
# case leaves running is killed before the next one starts, so no case sees another's process state. The
# cases' expected outputs never come here: each case's report (what it printed, how it ended) goes to the
# host, which judges it. A `shared` job runs its cases in the job child instead (further below).

STDERR_KEEP = 2000
_STALE_STREAMS: list = []
_OUT_OF_MEMORY: list = []  # [True] once a program's uncaught error was a MemoryError


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _as_main(code, path: str, ready=None) -> int:
    """Run `code` (solution.py, compiled) as `python solution.py` would; the exit status it would have.

    `ready` is called once everything is set for the program, just before it runs."""
    main = types.ModuleType("__main__")
    main.__dict__.update({"__file__": path, "__cached__": None, "__loader__": None, "__package__": None,
                          "__spec__": None, "__builtins__": sys.modules["builtins"]})
    sys.modules["__main__"] = main
    sys.argv = [os.path.basename(path)]
    status = 0
    atexit._clear()
    if ready is not None:
        ready()
    try:
        exec(code, main.__dict__)
    except SystemExit as exc:
        status = _exit_code(exc)
    except BaseException as exc:  # noqa: BLE001 - the program's own error: reported as Python would
        traceback.print_exc()
        status = 1
        if isinstance(exc, MemoryError):
            _OUT_OF_MEMORY[:] = [True]
    try:  # as interpreter shutdown does: wait for threads, run exit handlers
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()
        atexit._run_exitfuncs()
    except SystemExit as exc:
        status = _exit_code(exc)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        status = status or 1
    # then, as it goes on: flush the std streams, let go of what __main__ holds (a file object the program
    # kept writes out what it buffered, as its finaliser runs), collect, flush again
    status = _flush_streams(status)
    main.__dict__.clear()
    gc.collect()
    return _flush_streams(status)


def _flush_streams(status: int) -> int:
    """Flush the program's streams; one that cannot be written makes status 120, as in the interpreter."""
    for stream in (sys.stdout, sys.__stdout__, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:  # noqa: BLE001 - output that cannot be written is a failed run
            status = status or 120
    return status


def _case_streams() -> tuple:
    """stdin, stdout and stderr on fds 0-2 as `python solution.py` gets them; made once, used by every case.

    Made before a case forks and never used by the job child, so each case starts them empty.
    """
    return (open(0, encoding="utf-8", errors="replace", closefd=False),  # noqa: SIM115
            open(1, "w", encoding="utf-8", closefd=False),  # noqa: SIM115
            open(2, "w", encoding="utf-8", buffering=1, closefd=False))  # noqa: SIM115


def _stdio_case_child(code, path: str, streams: tuple, stdin_fd: int, out_w: int, err_w: int) -> None:
    status = 120
    try:
        os.setsid()
        os.dup2(stdin_fd, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, 65536)  # the job's report channel included
        # the job child's streams stay referenced, so that nothing they hold is ever flushed into this case (and
        # no case pays for closing them)
        _STALE_STREAMS.extend((sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__))
        sys.stdin, sys.stdout, sys.stderr = streams
        sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams
        status = _as_main(code, path)  # flushed: os._exit below flushes nothing
    finally:
        os._exit(status)


def _memory_file(text: str) -> int:
    """A file in memory holding `text`, read from its start (an unlinked file in /tmp without memfd)."""
    try:
        fd = os.memfd_create("stdin")
    except (AttributeError, OSError):
        path = os.path.join("/tmp", f"stdin-{os.getpid()}")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.unlink(path)
    _rewind(fd, text.encode("utf-8"))
    return fd


def _rewind(fd: int, data: bytes = b"") -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)


def _stdio_case(code, path: str, streams: tuple, text: str, timeout_s: float, max_output: int) -> dict:
    """One case in a fresh fork: what the program printed (bounded) and how it ended."""
    stdin_fd = _memory_file(text)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _stdio_case_child(code, path, streams, stdin_fd, out_w, err_w)
    for fd in (stdin_fd, out_w, err_w):
        os.close(fd)
    out, err = bytearray(), bytearray()
    status, wstat = None, None
    open_fds = {out_r, err_r}
    try:  # wakes the wait below the moment the program exits, with or without its pipes closed
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    deadline = started + timeout_s
    drain_until = 0.0
    while True:
        now = time.monotonic()
        if wstat is None:
            wpid, ws = os.waitpid(pid, os.WNOHANG)
            if wpid == pid:
                wstat = ws
                drain_until = now + 0.1  # read what is left, never wait on a lingering grandchild
        if wstat is not None and (not open_fds or now > drain_until):
            break
        if now >= deadline:
            status = "timeout"
            break
        watch = list(open_fds) + ([pidfd] if pidfd is not None and wstat is None else [])
        wait = max(0.0, min(0.25 if pidfd is not None else 0.01, deadline - now) if wstat is None
                   else min(0.005, drain_until - now))
        ready, _, _ = select.select(watch, [], [], wait)
        for fd in ready:
            if fd == pidfd:
                continue
            data = os.read(fd, 1 << 16)
            if not data:
                open_fds.discard(fd)
            elif fd == out_r:
                out += data
            else:
                err += data
                del err[:-STDERR_KEEP]
        if len(out) > max_output:
            status = "output_limit"
            break
    if wstat is None:
        for target in (-pid, pid):
            with contextlib.suppress(OSError):
                os.kill(target, signal.SIGKILL)
        _, wstat = os.waitpid(pid, 0)
    for fd in (out_r, err_r, pidfd):
        if fd is not None:
            os.close(fd)
    reap_all(in_pid_namespace=False)  # what the case left running (the job child is their subreaper)
    exit_code = os.WEXITSTATUS(wstat) if os.WIFEXITED(wstat) else None
    sig = os.WTERMSIG(wstat) if os.WIFSIGNALED(wstat) else None
    return {"stdout": bytes(out[:max_output]).decode("utf-8", "replace"), "exit": exit_code, "signal": sig,
            "status": status or ("exit" if exit_code is not None else "signal"),
            "stderr": bytes(err).decode("utf-8", "replace"), "seconds": time.monotonic() - started}


def _compile_program(path: str):
    """solution.py compiled as the interpreter compiles a script; (None, the error Python would print)."""
    try:
        with open(path, "rb") as fh:
            source = fh.read()
        return compile(source, path, "exec", dont_inherit=True), ""
    except BaseException as exc:  # noqa: BLE001 - a program that does not compile fails every case
        return None, "".join(traceback.format_exception_only(type(exc), exc))[-STDERR_KEEP:]


def _child_stdio(job: dict, res_fd: int) -> None:
    """Every case of a stdio job, each in its own fork; a report frame per case, then the file asked for.

    With `shared`, cases run in this process instead (`_stdio_shared`) for as long as that gives what a fresh
    process would; the first case it cannot vouch for ends the job, and the host runs it and the rest again in
    a job without `shared`.
    """
    _prctl(PR_SET_CHILD_SUBREAPER, 1)  # what a case leaves behind becomes ours to kill
    workdir = job["workdir"]
    path = os.path.join(workdir, "solution.py")
    sys.path[0] = workdir  # as for `python solution.py`: the script's folder first
    code, error = _compile_program(path)
    timeout_s, max_output = float(job["case_timeout_s"]), int(job["case_output"])
    if job.get("shared") and code is not None:
        _stdio_shared(code, path, job["cases"], 3, res_fd)
        os._exit(0)
    streams = _case_streams()
    for i, text in enumerate(job["cases"]):
        if code is None:
            run = {"stdout": "", "exit": 1, "signal": None, "status": "exit", "stderr": error, "seconds": 0.0}
        else:
            run = _stdio_case(code, path, streams, text, timeout_s, max_output)
        write_frame(res_fd, {"op": "case", "i": i, **run})
        if run["status"] == "timeout" and job.get("stop_on_timeout", True):
            break
    if job.get("read_after"):
        try:
            with open(os.path.join(workdir, job["read_after"]), encoding="utf-8") as fh:
                text = fh.read(65536)
        except (OSError, ValueError):
            text = None
        write_frame(res_fd, {"op": "file", "text": text})
    os._exit(0)


# ---------------------------------------------------------------- stdio programs: cases sharing a process
# A `shared` stdio job runs its cases one after another in the job child itself: no fork, no exit, so a case
# costs its program and a few system calls. Between cases the process is put back as a fresh
# `python solution.py` would find it: the modules, builtins and `sys` as they were, streams new, working
# folder, environment, signal handlers and timers restored. A case's report counts when the program ended
# in this process (an exit status, an error, too much output) and nothing outlived it that cannot be put back
# (threads, changed limits), and when it did not run out of memory; otherwise the job stops after reporting
# `unshared`, and the host runs that case and the rest each in a fresh process, as it does when the program
# ends the process itself (os._exit, a signal) or runs out of time.
# The program controls this process, frames included, as it does every process it runs in; what it can
# claim is what it could print, since expected outputs never enter the jail.


_VERSION_OFFSET = 3 * ctypes.sizeof(ctypes.c_void_p)  # in a dict: after the refcount, the type and ma_used


def _version_probe(d: dict) -> ctypes.c_uint64:
    """A live view of CPython's version tag of `d` (PEP 509), which changes with every change to the dict.

    Read in place, a check touches no value: comparing dicts would write every value's reference count, and
    after a fork each write to a page shared with the zygote copies that page.
    """
    return ctypes.c_uint64.from_address(id(d) + _VERSION_OFFSET)


def _versions_usable() -> bool:
    """Whether this interpreter's dicts carry a version tag where `_version_probe` reads (3.11-3.13 do)."""
    probe: dict = {}
    view = _version_probe(probe)
    seen = [view.value]
    for change in (lambda: probe.__setitem__("a", 1), lambda: probe.__setitem__("a", 2), lambda: probe.pop("a")):
        change()
        seen.append(view.value)
    return len(set(seen)) == 4 and view.value == seen[-1]


class _Noted:
    """The zygote's module state, copied once before any fork: what a `shared` stdio job puts back after a case.

    The dicts: sys.modules, the importers' cache, every module's namespace and the dicts a namespace holds.
    Each has its copy, a probe of its version and the version that matches the copy (in a ctypes array:
    reading it writes no shared page). The lists and sets a namespace holds (warnings.filters, gc.callbacks)
    are compared with their copies.
    """

    def __init__(self) -> None:
        spaces = [m.__dict__ for m in list(sys.modules.values()) if isinstance(getattr(m, "__dict__", None), dict)]
        held = [v for space in spaces if space is not globals()  # not this module's own caches and notes
                for v in space.values() if type(v) in (dict, list, set)]  # warnings.filters, gc.callbacks...
        seen: set[int] = set()
        self.dicts = [d for d in [sys.modules, sys.path_importer_cache, *spaces, *(v for v in held if type(v) is dict)]
                      if not (id(d) in seen or seen.add(id(d)))]
        self.copies = [dict(d) for d in self.dicts]
        seen.update(map(id, (sys.path, sys.argv, sys.meta_path, sys.path_hooks)))  # a job child's own: see below
        self.others = [(v, type(v)(v)) for v in held if type(v) is not dict and not (id(v) in seen or seen.add(id(v)))]
        self.usable = _versions_usable()
        self.probes = [_version_probe(d) for d in self.dicts] if self.usable else []
        self.versions = (ctypes.c_uint64 * len(self.dicts))(*(p.value for p in self.probes))
        index = {id(d): i for i, d in enumerate(self.dicts)}  # the dicts a shared case writes itself, found here
        self.own = [(index[id(d)], keys) for d, keys in ((sys.modules, _OWN_MODULES), (sys.__dict__, _OWN_SYS))
                    if id(d) in index]
        # the rest as a job child has it: the same but for the handlers it puts back to their defaults
        self.environ = dict(os.environ._data)  # the bytes behind os.environ: compared without decoding
        self.c_environ = _c_environ()
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.recursion = sys.getrecursionlimit()
        self.digits = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
        self.switch = sys.getswitchinterval()
        self.gc = (gc.isenabled(), gc.get_threshold())
        self.gc_debug = gc.get_debug()
        self.handlers = [(sig, _signal.SIG_DFL if sig in _JOB_DEFAULT_SIGNALS else _signal.getsignal(sig))
                         for sig in _signal.valid_signals() if sig not in (signal.SIGKILL, signal.SIGSTOP)]
        self.mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        self.knobs = _knobs()


_NOTED: list[_Noted] = []


def note_process_state() -> None:
    _NOTED[:] = [_Noted()]


_RLIMITS = [getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")]
_OWN_MODULES = ("__main__",)  # the keys a shared case sets itself in sys.modules and in `sys`
_OWN_SYS = ("stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__", "argv")
_CASE_OUT, _CASE_ERR, _CASE_IN = 5, 6, 7  # a shared job's files: the zygote reads the first two
_FIRST_FREE_FD = 8  # 0-2 a case's streams, 3-4 the job's channel, 5-7 the case files


def _own_limits() -> tuple:
    """This process's resource limits, priority, scheduling policy and CPUs, which a later fork inherits."""
    sched = (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority) if hasattr(os, "sched_getscheduler") else ()
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else ()
    return (*map(resource.getrlimit, _RLIMITS), os.getpriority(os.PRIO_PROCESS, 0), sched, cpus)


def _knobs() -> dict:
    """Interpreter and C-library settings a program can change and a fresh process has at their defaults."""
    return {"nice": os.getpriority(os.PRIO_PROCESS, 0), "faulthandler": faulthandler.is_enabled(),
            "tracemalloc": _tracemalloc.is_tracing(), "locale": _locale.setlocale(_locale.LC_ALL),
            "asyncgen": tuple(sys.get_asyncgen_hooks()), "dlopen": sys.getdlopenflags(),
            "origin": sys.get_coroutine_origin_tracking_depth()}


def _alone() -> bool:
    """No thread but this one: a thread just joined may be listed for a moment longer, so look a few times."""
    for _ in range(20):
        if len(os.listdir("/proc/self/task")) == 1:
            return True
        time.sleep(0.0005)
    return False


def _put_knobs(knobs: dict) -> None:
    _thread.stack_size(0)  # threading.stack_size(2**27), as many a recursive solution sets, back to the default
    faulthandler.cancel_dump_traceback_later()
    if faulthandler.is_enabled() and not knobs["faulthandler"]:
        faulthandler.disable()
    if _tracemalloc.is_tracing() and not knobs["tracemalloc"]:
        _tracemalloc.stop()
    if _locale.setlocale(_locale.LC_ALL) != knobs["locale"]:
        _locale.setlocale(_locale.LC_ALL, knobs["locale"])
    firstiter, finalizer = knobs["asyncgen"]
    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
    sys.setdlopenflags(knobs["dlopen"])
    sys.set_coroutine_origin_tracking_depth(knobs["origin"])
    _signal.set_wakeup_fd(-1)


def _c_environ() -> tuple[int, ...]:
    """The C library's environment block as it stands (where it is, and its entry pointers up to 256): a
    variable set or removed past os.environ changes it."""
    block = _C_ENVIRON.value or 0
    entries = [block]
    size = ctypes.sizeof(ctypes.c_void_p)
    for i in range(256 if block else 0):
        entry = ctypes.c_void_p.from_address(block + i * size).value
        entries.append(entry or 0)
        if not entry:
            break
    return tuple(entries)


_C_ENVIRON = ctypes.c_void_p.in_dll(ctypes.CDLL(None), "environ")


class _ProcessState:
    """What a fresh `python solution.py` finds; `restore` puts it back after a case.

    Most of it is the zygote's note: a job child differs from the zygote only where a case sets its own (its
    streams, argv) or in what is noted here (the import path, the job's limits, the working folder).
    """

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.noted = _NOTED[0] if _NOTED else _Noted()
        self.c_environ: tuple[int, ...] | None = None  # once os.environ is put back, the block it left
        self.lists = [(xs, list(xs)) for xs in (sys.path, sys.argv, sys.meta_path, sys.path_hooks)]
        self.limits = [resource.getrlimit(r) for r in _RLIMITS]
        self.own = self.noted.own if self.noted.usable else []
        self.clean: dict[int, tuple[str, ...]] = {}  # own dict -> the keys the case sets, if as noted at its start
        self.set_up: dict[int, int] = {}  # own dict -> its version once the case's own writes were done

    def begin_case(self) -> None:
        """Before a case's own writes: which of the dicts it writes are still as noted."""
        noted = self.noted
        self.clean = {i: keys for i, keys in self.own if noted.probes[i].value == noted.versions[i]}
        self.set_up = {}

    def case_set_up(self) -> None:
        """The case's own writes are done: a dict whose version has not moved from here when the case is
        over differs from its copy only in those keys."""
        self.set_up = {i: self.noted.probes[i].value for i in self.clean}

    def _put_back_own(self, i: int, left: list) -> bool:
        """Put back only the keys the case set itself, when nothing else wrote the dict (no value touched
        but those: after a fork each value touched copies its page)."""
        noted = self.noted
        if self.set_up.get(i) != noted.probes[i].value:
            return False
        d, copy = noted.dicts[i], noted.copies[i]
        for key in self.clean[i]:
            left.append(d.get(key))
            if key in copy:
                d[key] = copy[key]
            else:
                d.pop(key, None)
        return True

    def _changed(self) -> list[int]:
        noted = self.noted
        if noted.usable:
            versions = noted.versions
            return [i for i, probe in enumerate(noted.probes) if probe.value != versions[i]]
        return [i for i, d in enumerate(noted.dicts) if d != noted.copies[i]]

    def _put_back_spaces(self, left: list) -> None:
        """The namespaces and what they hold as noted; what the case left in them goes into `left`."""
        noted = self.noted
        for i in self._changed():  # sys.modules first: what the case imported is imported afresh by the next
            if not self._put_back_own(i, left):
                d = noted.dicts[i]
                left.append(d.copy())
                d.clear()
                d.update(noted.copies[i])
            if noted.usable:
                noted.versions[i] = noted.probes[i].value  # this process's copy of the note: no other sees it
        for container, saved in noted.others:
            if container != saved:
                left.append(type(container)(container))
                container.clear()
                container.update(saved) if type(container) is set else container.extend(saved)

    def restore(self) -> str:
        """Put the process back; what could not be put back (then no later case may share it), or "".

        Everything the case left where things are put back (namespace values, lists, signal handlers, trace
        functions, async generator hooks) is let go only at the end, with collection off until then, so that
        no finaliser runs in between: one that wrote into a namespace already noted as clean would reach every
        later case. Once it is let go (and collected), what frees nothing is set again, and what would free
        something must still be as put back, else the case and the rest run in fresh processes.
        """
        noted = self.noted
        gc.disable()
        left: list = []
        self._put_back_spaces(left)
        mutated = getattr(sys.modules.get("warnings"), "_filters_mutated", None)
        if mutated is not None:  # the C side caches the filters by a version it bumps
            mutated()
        if not _alone():
            return "a thread outlived the case"
        if [resource.getrlimit(r) for r in _RLIMITS] != self.limits:
            return "the case changed a resource limit"
        if os.getpriority(os.PRIO_PROCESS, 0) != noted.knobs["nice"]:
            return "the case changed its priority"
        left.append(sys.get_asyncgen_hooks())
        _put_knobs(noted.knobs)
        for sig, handler in noted.handlers:
            if handler is not None and (current := _signal.getsignal(sig)) is not handler:
                left.append(current)
                _signal.signal(sig, handler)
        for current, saved in self.lists:
            if not _same(current, saved):
                left.append(current[:])
                current[:] = saved
        if os.environ._data != noted.environ:
            os.environ.clear()
            os.environ.update({os.fsdecode(k): os.fsdecode(v) for k, v in noted.environ.items()})
            self.c_environ = _c_environ()
        if _c_environ() != (self.c_environ or noted.c_environ):
            return "the C environment block changed past os.environ (os.putenv, or a variable set and removed)"
        left += (sys.gettrace(), sys.getprofile())
        sys.settrace(None)
        sys.setprofile(None)
        gc.set_debug(noted.gc_debug)
        _release(left, gc.collect)  # finalisers run here, in a function of no noted namespace
        self._set_plain()
        if self._moved():
            return "a finaliser or a thread changed what was put back"
        (gc.enable if noted.gc[0] else gc.disable)()
        gc.set_threshold(*noted.gc[1])
        return ""

    def _set_plain(self) -> None:
        """What setting again frees nothing: descriptors, timers, folder, umask and interpreter settings."""
        noted = self.noted
        os.closerange(_FIRST_FREE_FD, 65536)  # the case's own descriptors die with it, as with a process
        for which in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
            signal.setitimer(which, 0)
        signal.pthread_sigmask(signal.SIG_SETMASK, noted.mask)
        _thread.stack_size(0)
        _signal.set_wakeup_fd(-1)
        os.chdir(self.workdir)
        os.umask(noted.umask)
        sys.setrecursionlimit(noted.recursion)
        if noted.digits is not None:
            sys.set_int_max_str_digits(noted.digits)
        sys.setswitchinterval(noted.switch)

    def _moved(self) -> bool:
        """Whether anything put back (that would free something if set again) is not as put back."""
        noted = self.noted
        return (not _alone() or bool(self._changed())
                or any(c != saved for c, saved in noted.others) or not all(_same(c, saved) for c, saved in self.lists)
                or any(h is not None and _signal.getsignal(sig) is not h for sig, h in noted.handlers)
                or sys.gettrace() is not None or sys.getprofile() is not None or gc.get_debug() != noted.gc_debug
                or _knobs() != noted.knobs or [resource.getrlimit(r) for r in _RLIMITS] != self.limits
                or _c_environ() != (self.c_environ or noted.c_environ))


def _same(current: list, saved: list) -> bool:
    """The same items, by identity: an equal item can be another object (a str subclass carrying data)."""
    return len(current) == len(saved) and all(map(operator.is_, current, saved))


# Lets go of what a case left, in a function whose globals are no namespace the restore notes: a warning raised
# as an object is freed (an unclosed file's ResourceWarning) writes `__warningregistry__` into the globals of
# the function that freed it.
def _let_go(left: list, collect) -> None:
    left.clear()
    collect()


_release = types.FunctionType(_let_go.__code__, {"__builtins__": {}}, "_release")


def _shared_case(code, path: str, text: str, state: _ProcessState) -> tuple[int, float]:
    """One case in this process: stdin from memory, stdout and stderr into the files the zygote reads and
    empties after each report; the exit status and the seconds it ran."""
    state.begin_case()
    _rewind(_CASE_IN, text.encode("utf-8"))
    for fd, target in ((_CASE_IN, 0), (_CASE_OUT, 1), (_CASE_ERR, 2)):
        os.dup2(fd, target)
    streams = _case_streams()  # new each case: nothing the last case left buffered reaches this one
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams
    started = time.monotonic()
    status = _contextvars.Context().run(_as_main, code, path, state.case_set_up)  # context variables start empty
    seconds = time.monotonic() - started
    reap_all(in_pid_namespace=False)  # what the case started, as after a forked case
    return status, seconds


def _stdio_shared(code, path: str, cases: list, req_fd: int, res_fd: int) -> None:
    state = _ProcessState(os.getcwd())
    stdin = _memory_file("")
    if stdin != _CASE_IN:
        os.dup2(stdin, _CASE_IN)
        os.close(stdin)
    write_frame(res_fd, {"op": "start"})  # the zygote times each case from here on
    for i, text in enumerate(cases):
        status, seconds = _shared_case(code, path, text, state)
        why = "the program ran out of memory" if _OUT_OF_MEMORY else ""  # perhaps for what earlier cases left
        why = why or state.restore()
        if why:
            write_frame(res_fd, {"op": "unshared", "i": i, "why": why})
            return
        # what the case printed is read by the zygote, not sent: a report names the case and how it ended
        write_frame(res_fd, {"op": "case", "i": i, "exit": status, "seconds": seconds})
        if not os.read(req_fd, 1):  # the zygote has read and emptied the output files
            return


# ---------------------------------------------------------------- the zygote loop


def _write_files(root: str, files: dict) -> None:
    for rel, text in files.items():
        path = os.path.join(root, rel)
        real = os.path.realpath(path)
        if not real.startswith(os.path.realpath(root) + os.sep):
            raise ProtocolError(f"path {rel!r} leaves the job folder")
        os.makedirs(os.path.dirname(real), exist_ok=True)
        with open(real, "w", encoding="utf-8") as fh:
            fh.write(text)


def _wipe(path: str) -> None:
    """Delete everything below `path` (kept itself), whatever modes the job gave its files and folders."""
    if not os.path.isdir(path) or os.path.islink(path):
        return
    try:  # the usual case, a folder of plain files or none: one listing, no walk
        with os.scandir(path) as listing:
            entries = [(entry.path, entry.is_dir(follow_symlinks=False)) for entry in listing]
        if not any(is_dir for _, is_dir in entries):
            for name, _ in entries:
                os.unlink(name)
            return
    except OSError:
        pass  # a folder made unreadable, a file that would not go: the walk below
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    for root, dirs, _ in os.walk(path):  # top-down: make each folder listable before it is entered
        for name in dirs:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                with contextlib.suppress(OSError):
                    os.chmod(full, 0o700)
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files + dirs:
            full = os.path.join(root, name)
            try:
                if os.path.isdir(full) and not os.path.islink(full):
                    os.rmdir(full)
                else:
                    os.unlink(full)
            except OSError:
                pass


class Tail:
    """Keeps the last `keep` bytes of a stream and counts the rest."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.buf = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        self.buf += data
        if len(self.buf) > self.keep:
            del self.buf[: len(self.buf) - self.keep]

    def text(self) -> str:
        return self.buf.decode("utf-8", errors="replace")


class Zygote:
    def __init__(self, workroot: str, in_pid_namespace: bool, scratch: list[str] | None = None) -> None:
        self.workroot = workroot
        self.pidns = in_pid_namespace
        self.scratch = list(scratch or [])  # wiped after every job: nothing a job writes reaches the next
        self.host_in, self.host_out = 0, 1
        self.own_limits = _own_limits()
        self.held: list[bytes] = []
        self.held_bytes = 0

    def send(self, obj: dict) -> None:
        if self.held:
            self.flush()
        write_frame(self.host_out, obj)

    def hold(self, obj: dict) -> None:
        """A stdio case's report, sent with the next frame (or once the held ones pass HELD_BYTES): the host
        then wakes once a job, not once a case."""
        self.held.append(encode_frame(obj))
        self.held_bytes += len(self.held[-1])
        if self.held_bytes > HELD_BYTES:
            self.flush()

    def flush(self) -> None:
        data = b"".join(self.held)
        self.held.clear()
        self.held_bytes = 0
        write_all(self.host_out, data)

    def serve_forever(self) -> None:
        self.send({"op": "ready", "pid": os.getpid(), "python": sys.version.split()[0]})
        while True:
            try:
                msg = read_frame(self.host_in)
            except EOFError:
                return
            if msg.get("op") == "run":
                self.run(msg["job"])
            elif msg.get("op") == "exit":
                return

    def run(self, job: dict) -> None:
        started = time.monotonic()
        jobdir = os.path.join(self.workroot, "job")
        testdir = os.path.join(self.workroot, "tests")
        for d in (jobdir, testdir):
            _wipe(d)
            os.makedirs(d, mode=0o700, exist_ok=True)
        try:
            _write_files(jobdir, job.get("files", {}))
            _write_files(testdir, job.get("test_files", {}))
        except (OSError, ProtocolError) as exc:
            self.send({"op": "done", "status": "error", "detail": f"could not write files: {exc}", "duration": 0.0})
            return
        if job.get("test_files"):
            for root, dirs, files in os.walk(testdir):
                for name in files:
                    os.chmod(os.path.join(root, name), 0o444)
                for name in dirs:
                    os.chmod(os.path.join(root, name), 0o555)
            os.chmod(testdir, 0o555)
        subst = {"{workdir}": jobdir, "{testdir}": testdir, "{python}": sys.executable}

        def fill(value):
            if isinstance(value, str):
                for k, v in subst.items():
                    value = value.replace(k, v)
                return value
            if isinstance(value, list):
                return [fill(v) for v in value]
            return value

        job = dict(job)
        job["workdir"] = jobdir
        if job.get("mode") == "serve":
            job.setdefault("sys_path", ["{workdir}"])  # the solution's folder, as for `python solution.py`
        job["cwd"] = fill(job.get("cwd", "{workdir}"))
        for key in ("pytest_args", "sys_path", "argv", "rewritten"):
            if key in job:
                job[key] = fill(job[key])
        if job.get("mode") == "pytest" and job.get("prebuilt", True) and "pytest" in sys.modules:
            prebuild_pytest(job["pytest_args"])
            prepare_rewrite(job.get("rewritten", []))
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        fds = {"out_w": out_w, "err_w": err_w, "req_r": req_r, "res_w": res_w}
        self.case_files: tuple[int, int] | None = None
        if job.get("mode") == "stdio" and job.get("shared"):
            self.case_files = (_memory_file(""), _memory_file(""))
            fds["case_out"], fds["case_err"] = self.case_files
        pid = os.fork()
        if pid == 0:
            os.close(self.host_in)
            os.close(self.host_out)
            _run_child(job, fds)
        for fd in (out_w, err_w, req_r, res_w):
            os.close(fd)
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None
        try:
            result = self._supervise(job, pid, out_r, err_r, req_w, res_r, started)
        finally:
            if self.pidfd is not None:
                os.close(self.pidfd)
        for fd in (out_r, err_r, req_w, res_r, *(self.case_files or ())):
            with contextlib.suppress(OSError):
                os.close(fd)
        result["leftovers"] = reap_all(self.pidns)
        # A job of our uid may lower our limits or priority (prlimit, setpriority on its parent), which every later
        # job would inherit: the host restarts the slot first.
        result["anomaly"] = result["anomaly"] or result["leftovers"] > 0 or _own_limits() != self.own_limits
        _wipe(jobdir)
        _wipe(testdir)
        for path in self.scratch:
            _wipe(path)
        os.makedirs(self.workroot, mode=0o700, exist_ok=True)
        self.send(result)

    def _shared_report(self, frame: dict, keep: int) -> dict:
        """A shared case's report for the host: what it printed is read here, from the files it printed into,
        so a report the program forges can claim no output it did not print."""
        code, seconds = frame.get("exit"), frame.get("seconds")
        if type(code) is not int or not isinstance(seconds, float) or not 0 <= seconds < math.inf:
            raise ProtocolError("a case report without an exit status and a time")
        assert self.case_files is not None
        out, size = _take_output(self.case_files[0], keep, tail=False)
        err, _ = _take_output(self.case_files[1], STDERR_KEEP, tail=True)
        return {"op": "case", "i": frame["i"], "stdout": out.decode("utf-8", "replace"), "exit": code,
                "signal": None, "status": "output_limit" if size > keep else "exit",
                "stderr": err.decode("utf-8", "replace"), "seconds": seconds}

    def _supervise(self, job, pid, out_r, err_r, req_w, res_r, started) -> dict:
        wall = float(job.get("timeout_s", 10.0))
        call_timeout = float(job.get("call_timeout_s", wall))
        max_output = int(job.get("max_output", 1 << 20))
        keep = int(job.get("keep_output", 4096))
        deadline = started + wall
        out, err = Tail(keep), Tail(keep)
        frames = FrameBuffer()
        reports: list[dict] = []
        status, detail = None, ""
        serve = job["mode"] == "serve"
        pending: dict | None = None
        pending_since = 0.0
        exit_status = None
        cpu_used = 0.0
        drain_until = None
        open_fds = {out_r, err_r, res_r}
        pidfd = self.pidfd
        # a shared stdio job's cases run in the job child itself: each case's time runs from the last report
        shared = job["mode"] == "stdio" and bool(job.get("shared"))
        case_timeout = float(job.get("case_timeout_s", wall))
        case_clock: float | None = None
        next_case = 0
        may_have_exited = True
        while status is None:
            now = time.monotonic()
            if case_clock is not None and now - case_clock >= case_timeout and exit_status is None:
                if frames.buf:  # a report cut short holds up the rest: no case can be said to have run long
                    status, detail = "error", "a report on the channel was cut short"
                else:
                    status, detail = "timeout", f"case {next_case} ran past {case_timeout:g}s"
                break
            if exit_status is None and may_have_exited:
                wpid, wstat, usage = os.wait4(pid, os.WNOHANG)
                cpu_used = usage.ru_utime + usage.ru_stime
                if wpid == pid:
                    exit_status = wstat
                may_have_exited = pidfd is None  # else the pidfd says when (each wait4 imports `resource`)
            if exit_status is not None:
                # the job is over: read what it left in the pipes, but never wait on a lingering grandchild
                drain_until = drain_until or now + 0.2
                if not open_fds or now > drain_until:
                    break
            if now >= deadline:
                status, detail = "timeout", f"wall time over {wall:g}s"
                break
            if pending is not None and now - pending_since > call_timeout:
                status, detail = "timeout", f"call took over {call_timeout:g}s"
                break
            watch = list(open_fds)
            if serve and pending is None and exit_status is None:
                watch.append(self.host_in)
            if exit_status is None and pidfd is not None:
                watch.append(pidfd)  # wakes us the moment the job exits, even with all its pipes closed
            limit = deadline if pending is None else min(deadline, pending_since + call_timeout)
            if case_clock is not None:
                limit = min(limit, case_clock + case_timeout)
            idle = 0.25 if pidfd is not None else 0.005
            wait = min(max(0.0, limit - now), 0.02 if exit_status is not None else idle)
            try:
                ready, _, _ = select.select(watch, [], [], wait)
            except InterruptedError:
                continue
            for fd in ready:
                if fd == pidfd:
                    may_have_exited = True
                    continue
                if fd == self.host_in:
                    msg = read_frame(self.host_in)
                    if msg.get("op") == "call":
                        pending, pending_since = msg, time.monotonic()
                        with contextlib.suppress(OSError):  # the child is gone; its exit is noticed above
                            write_frame(req_w, {"id": msg["id"], "args": msg["args"]})
                    elif msg.get("op") == "end":
                        status = "ended"
                    continue
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    open_fds.discard(fd)
                    continue
                if fd == out_r:
                    out.add(data)
                elif fd == err_r:
                    err.add(data)
                else:
                    try:
                        for frame in frames.feed(data):
                            op = frame.get("op")
                            if op == "loaded" and serve:
                                self.send({"op": "loaded", "ok": frame.get("ok") is True,
                                           "error": str(frame.get("error", ""))[:2000]})
                            elif op == "result" and serve and pending is not None:
                                if frame.get("id") != pending["id"]:
                                    raise ProtocolError("an answer to a call that was not asked")
                                self.send({"op": "result", "id": pending["id"], "ok": frame.get("ok") is True,
                                           "value": frame.get("value"), "error": str(frame.get("error", ""))[:2000]})
                                pending = None
                            elif op == "report" and not serve:
                                reports.append(frame)
                            elif shared and op in ("start", "case", "unshared"):
                                if (op == "start") != (case_clock is None) or (
                                        op != "start" and frame.get("i") != next_case):
                                    raise ProtocolError(f"{op} out of turn (case {next_case} was next)")
                                if op == "case":
                                    self.hold(self._shared_report(frame, int(job["case_output"])))
                                    with contextlib.suppress(OSError):  # gone, or its end closed: seen below
                                        os.write(req_w, b"k")  # the files are empty again: the next case may run
                                elif op == "unshared":
                                    self.send(frame)
                                next_case += op == "case"
                                case_clock = time.monotonic()
                                if op == "unshared":  # nothing more may come: the job is over
                                    next_case = -1
                            elif op in ("case", "file") and job["mode"] == "stdio":
                                self.hold(frame)  # a stdio job's reports go out with its end, in order
                    except ProtocolError as exc:
                        status, detail = "error", f"malformed message from the solution process: {exc}"
                        break
                if out.total + err.total > max_output:
                    status, detail = "output_limit", f"output over {max_output} bytes"
                    break
        if exit_status is None:
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                with contextlib.suppress(OSError):
                    kill()
            try:
                _, exit_status, usage = os.wait4(pid, 0)
                cpu_used = usage.ru_utime + usage.ru_stime
            except ChildProcessError:
                exit_status = None
        if serve and pending is not None:
            self.send({"op": "result", "id": pending["id"], "ok": False, "timeout": status == "timeout",
                       "error": detail or "the solution process exited before answering"})
        code = sig = None
        if exit_status is not None:
            if os.WIFEXITED(exit_status):
                code = os.WEXITSTATUS(exit_status)
            elif os.WIFSIGNALED(exit_status):
                sig = os.WTERMSIG(exit_status)
        if status in (None, "ended"):
            status = "exit" if code is not None else ("signal" if sig is not None else "error")
            cpu_limit = float(job.get("limits", {}).get("cpu_s") or 0)
            if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_limit and cpu_used >= cpu_limit - 0.05):
                status, detail = "timeout", "CPU time limit"  # SIGKILL: the hard limit, SIGXCPU was ignored
        # A job that died by a signal (segfault, abort, the OOM killer) leaves the zygote untouched, and what
        # it left running is swept below (leftovers): only these call for a fresh slot.
        anomaly = status in ("timeout", "output_limit", "error")
        return {
            "op": "done",
            "status": status,
            "detail": detail,
            "exit_code": code,
            "signal": sig,
            "report": reports[-1] if reports else None,
            "stdout": out.text(),
            "stderr": err.text(),
            "output_bytes": out.total + err.total,
            "duration": time.monotonic() - started,
            "anomaly": anomaly,
        }


def _take_output(fd: int, keep: int, tail: bool) -> tuple[bytes, int]:
    """What a case file holds (its first or last `keep` bytes) and its size; the file is emptied."""
    size = os.fstat(fd).st_size
    data = os.pread(fd, min(size, keep), max(0, size - keep) if tail else 0)
    _rewind(fd)  # the offset the job child writes at is this one too
    return data, size


def _remember_statement_lines(warm_up) -> None:
    """Run the warm-up sessions noting the statement line numbers pytest's traceback code finds in each source it
    parses; then every job gets those sources' numbers from memory.

    A traceback pytest formats in full parses each frame's whole file to find the bounds of its statement:
    pytest.exit (an exit_zero exploit) has pytest format ~30 frames of its own files, ~170 ms a run. The numbers
    depend on the source text alone, so for a text seen here pytest's getstatementrange_ast gets an empty module
    node carrying them, which its get_statement_startend2 reads instead of walking a fresh tree; any other text
    is parsed as always. Installed only where that gives the same bounds as a fresh parse (checked here).
    """
    import ast

    try:
        from _pytest._code import code as tb_code
        from _pytest._code import source as tb_source
    except ImportError:
        warm_up()
        return
    parse = tb_code.getstatementrange_ast
    seen: dict[str, ast.AST] = {}

    def recording(lineno, source, assertion=False, astnode=None):
        found = parse(lineno, source, assertion, astnode)
        if astnode is None:
            seen[str(source)] = found[0]
        return found

    tb_code.getstatementrange_ast = recording
    try:
        warm_up()
    finally:
        tb_code.getstatementrange_ast = parse

    def carrier(lines: list[int]) -> ast.AST:
        node = ast.Module(body=[], type_ignores=[])
        node._pytest_statement_linenos = lines
        return node

    try:
        for text, node in seen.items():
            lines = tb_source._statement_linenos(node)
            probe = carrier(lines)
            if any(tb_source.get_statement_startend2(i, probe) != tb_source.get_statement_startend2(i, node)
                   for i in range(0, text.count("\n") + 1, 7)):
                _LINENOS.clear()
                return  # another pytest: its tracebacks parse as they always do
            _LINENOS[text] = lines
    except Exception:  # noqa: BLE001 - as above
        _LINENOS.clear()
        return

    def remembered(lineno, source, assertion=False, astnode=None):
        if astnode is None and _LINENOS and (lines := _LINENOS.get(str(source))) is not None:
            _LINENOS_HITS[0] += 1
            astnode = carrier(lines)
        return parse(lineno, source, assertion, astnode)

    tb_code.getstatementrange_ast = remembered


def _warm_pytest(workroot: str) -> None:
    """Run pytest once on throwaway tests, so each job's pytest finds its plugins already imported.

    The job still gets a fresh pytest.main (config, plugins, collection); only module imports and the standard
    library's caches are shared. One test fails on purpose: reporting a failure asks `inspect` which module
    each traceback frame's file belongs to, and its first answer resolves the path of every loaded module
    (about 20 ms in each job that fails a test, which most exploits do); the zygote pays that once. A second
    session ends by pytest.exit, whose full traceback of pytest's own frames _remember_statement_lines notes.
    Our stdout is the host channel, so output goes to /dev/null meanwhile.
    """
    import pytest

    folder = os.path.join(workroot, "warm")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    with open(os.path.join(folder, "test_hackgym_warmup.py"), "w") as fh:
        fh.write("def test_warm():\n    assert [1] == [1]\n\n\ndef test_warm_failure():\n    assert [1] == [2]\n")
    with open(os.path.join(folder, "test_hackgym_warmexit.py"), "w") as fh:
        fh.write("import pytest\n\n\ndef test_warm_exit():\n    pytest.exit('warm-up', returncode=0)\n")
    saved_fds = [os.dup(1), os.dup(2)]
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    devnull = os.open(os.devnull, os.O_WRONLY)

    def sessions() -> None:
        for name in ("test_hackgym_warmup.py", "test_hackgym_warmexit.py"):
            pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", folder, os.path.join(folder, name)])

    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        _remember_statement_lines(sessions)
    except BaseException:  # noqa: BLE001 - a failed warm-up only costs speed
        pass
    finally:
        for stream in (sys.stdout, sys.stderr):  # what pytest left buffered goes to /dev/null, not to a job
            with contextlib.suppress(Exception):
                stream.flush()
        os.dup2(saved_fds[0], 1)
        os.dup2(saved_fds[1], 2)
        for fd in (*saved_fds, devnull):
            os.close(fd)
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:
            mod = sys.modules.get(name)
            if mod is None or str(getattr(mod, "__file__", "") or "").startswith(folder):
                sys.modules.pop(name, None)
        _wipe(folder)
        os.rmdir(folder)


def _parse_args(argv: list[str]) -> types.SimpleNamespace:
    """The zygote's flags, as launch.py writes them (argparse would stay in the memory of every fork):
    --workroot DIR, --pidns (we run in our own pid namespace), --cpu N (run on that CPU only), and repeatable
    --preload MODULE (imported before forking), --sys-path DIR, --scratch DIR (wiped after every job)."""
    args = types.SimpleNamespace(workroot=None, pidns=False, cpu=None, preload=[], sys_path=[], scratch=[])
    rest = iter(argv)
    for flag in rest:
        if flag == "--pidns":
            args.pidns = True
            continue
        value = next(rest, None)
        if value is None or flag not in ("--workroot", "--cpu", "--preload", "--sys-path", "--scratch"):
            raise SystemExit(f"zygote: {flag!r} is not a flag it takes, or lacks its value")
        if flag == "--workroot":
            args.workroot = value
        elif flag == "--cpu":
            args.cpu = int(value)
        else:
            getattr(args, flag[2:].replace("-", "_")).append(value)
    if not args.workroot:
        raise SystemExit("zygote: --workroot is required")
    return args


def main(argv: list[str]) -> None:
    args = _parse_args(argv)
    if args.cpu is not None:  # every job inherits it (one that cannot be set leaves the slot unpinned)
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setaffinity(0, {args.cpu})
    _prctl(PR_SET_DUMPABLE, 0)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    for path in args.sys_path:
        sys.path.append(path)
    os.makedirs(args.workroot, mode=0o700, exist_ok=True)
    for name in args.preload:
        __import__(name)
        if name == "pytest":
            _warm_pytest(args.workroot)
    # The first compile() of an interpreter builds the ~120 classes of its AST types (~1.2 ms): done here, once,
    # not in every job child that compiles a submission.
    compile("pass", "<zygote>", "exec")
    note_process_state()
    # Everything loaded so far lives as long as the zygote: keep it out of the job's garbage collections
    # (pytest runs gc.collect() at exit) and its pages shared after fork.
    gc.collect()
    gc.freeze()
    Zygote(args.workroot, args.pidns, args.scratch).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
