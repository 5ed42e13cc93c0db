"""One agentic episode: the workspace, the tools that act on it, and the budgets that bound them.

The workspace lives on the trusted side as text files; every command runs in a fresh sandbox job (the jail by
default) that gets a copy of the workspace, runs the command under a shell with `python` bound to the sandbox's
interpreter (pytest importable), and sends back what the folder holds afterwards, so a command that edits files
edits the workspace. The snapshot comes from a small runner in the job that starts the command with its own
file descriptors closed; a command that kills the runner leaves the workspace as it was. Model-written code
never runs anywhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ...errors import HackgymError
from ...problems import Problem
from ...sandbox import Limits, Pool
from ...submission import Submission, normalise_path
from . import _actions
from ._record import Action, Budget, EndReason, EpisodeRecord, ToolName
from ._workspace import initial_files

TEST_COMMAND = "python -m pytest -q -p no:cacheprovider"
_SKIP_DIRS = ("__pycache__", ".pytest_cache")

# Runs inside the sandbox job: the command under /bin/sh (stdin empty, its own session, descriptors above 2
# closed), then the folder's text files as one report frame on fd 4, the sandbox's report channel.
_RUNNER = r'''
import json, os, signal, struct, subprocess, sys
command, timeout, max_files, max_chars = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
py = sys.executable
shell = 'python() { "%s" "$@"; }\npython3() { "%s" "$@"; }\n%s\n' % (py, py, command)
proc = subprocess.Popen(["/bin/sh", "-c", shell], stdin=subprocess.DEVNULL, start_new_session=True)
try:
    code = proc.wait(timeout=timeout)
except subprocess.TimeoutExpired:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()
    code = None
files, skipped = {}, 0
for root, dirs, names in os.walk("."):
    dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", ".pytest_cache"))
    for name in sorted(names):
        path = os.path.normpath(os.path.join(root, name))
        try:
            if os.path.islink(path) or os.path.getsize(path) > 4 * max_chars:
                skipped += 1
                continue
            with open(path, encoding="utf-8") as fh:
                text = fh.read(max_chars + 1)
        except (OSError, UnicodeDecodeError):
            skipped += 1
            continue
        if len(text) > max_chars or len(files) >= max_files:
            skipped += 1
            continue
        files[path.replace(os.sep, "/")] = text
data = json.dumps({"op": "report", "code": code, "files": files, "skipped": skipped}).encode()
os.write(4, struct.pack(">I", len(data)) + data)
'''
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


class Episode:
    """The agent's workspace and tools for one problem. `act(tool, **args)` runs a tool, records it and returns
    what the agent is shown; after `submit` (or a spent budget) every tool refuses. `record()` is the episode
    so far; labelling it is `hackgym.envs.agentic.label_episodes`' job."""

    def __init__(self, problem: Problem, env_grader: str, pool: Pool, *, budget: Budget | None = None,
                 condition: str | None = None, impossible: bool = False) -> None:
        self.problem = problem
        self.pool = pool
        self.budget = budget or Budget()
        self.given = initial_files(problem)
        self.files = dict(self.given)
        self.commands = 0
        self.rec = EpisodeRecord(problem_id=problem.id, env_grader=env_grader, condition=condition,
                                 impossible=impossible, budget=self.budget, files=dict(self.files))
        self._tools: dict[str, Callable[..., Action]] = {
            "list_files": self._list, "read_file": self._read, "write_file": self._write,
            "delete_file": self._delete, "run_command": self._run, "run_tests": self._run_tests,
            "submit": self._submit}

    # -- the driver's side
    @property
    def done(self) -> bool:
        return self.rec.end != "running"

    @property
    def turns_left(self) -> int:
        return self.budget.max_turns - self.rec.turns

    def begin_turn(self, reply: str = "") -> None:
        """A model reply starts (its text is kept); the driver checks `end_turn` after its actions."""
        self.rec.turns += 1
        self.rec.replies.append(reply)

    def end_turn(self) -> None:
        """After a turn's actions: an episode out of turns ends as it stands."""
        if not self.done and self.turns_left <= 0:
            self.finish("turns")

    def finish(self, reason: EndReason) -> None:
        if not self.done:
            self.rec.end = reason

    def act(self, tool: str, **args: str) -> str:
        """Run one tool; returns the observation (an error is an observation too, never an exception)."""
        if tool not in self._tools:
            return f"error: no tool {tool!r}; the tools are {', '.join(self._tools)}"
        if self.done:
            return "error: the episode is over; nothing more is done"
        if len(self.rec.actions) >= self.budget.max_actions:
            self.finish("actions")
            return "error: the budget of tool calls is spent; the task ends here"
        started = time.monotonic()
        try:
            action = self._tools[tool](**{k: str(v) for k, v in args.items()})
        except TypeError as exc:  # wrong or missing arguments
            action = Action(turn=self.rec.turns, tool=tool, ok=False,  # type: ignore[arg-type]
                            observation=f"error: bad arguments for {tool}: {exc}")
        action.args = {k: str(v)[: self.budget.max_file_chars] for k, v in args.items()}
        action.seconds = round(time.monotonic() - started, 3)
        action.observation = self._bounded(action.observation)
        self.rec.actions.append(action)
        self.rec.files = dict(self.files)
        return action.observation

    def submission(self) -> Submission:
        from ._workspace import handed_in

        return handed_in(self.given, self.files)

    def record(self) -> EpisodeRecord:
        """The episode so far, with what it hands in."""
        return self.rec.model_copy(update={"files": dict(self.files),
                                           "submission": dict(self.submission().files)}, deep=True)

    # -- tools
    def _bounded(self, text: str) -> str:
        cap = self.budget.max_output_chars
        return text if len(text) <= cap else f"[... {len(text) - cap} characters cut ...]\n" + text[-cap:]

    def _path(self, tool: ToolName, path: str) -> tuple[str | None, Action | None]:
        try:
            return normalise_path(path.strip()), None
        except HackgymError as exc:
            return None, Action(turn=self.rec.turns, tool=tool, ok=False, observation=f"error: {exc}",
                                evidence=_actions.read_evidence(path) if tool == "read_file" else [])

    def _list(self, folder: str = ".") -> Action:
        prefix = "" if folder.strip() in ("", ".", "./") else folder.strip().rstrip("/") + "/"
        names = [f"{p} ({len(t)} characters)" for p, t in sorted(self.files.items()) if p.startswith(prefix)]
        return Action(turn=self.rec.turns, tool="list_files", ok=bool(names),
                      observation="\n".join(names) or f"no files under {folder!r}")

    def _read(self, path: str) -> Action:
        norm, refused = self._path("read_file", path)
        if refused:
            return refused
        assert norm is not None
        evidence = _actions.read_evidence(norm)
        if norm not in self.files:
            return Action(turn=self.rec.turns, tool="read_file", ok=False, evidence=evidence,
                          observation=f"error: no file {norm!r}")
        return Action(turn=self.rec.turns, tool="read_file", observation=self.files[norm], evidence=evidence)

    def _change(self, tool: ToolName, path: str, after: str | None) -> Action:
        norm, refused = self._path(tool, path)
        if refused:
            return refused
        assert norm is not None
        before = self.files.get(norm)
        if after is None and before is None:
            return Action(turn=self.rec.turns, tool=tool, ok=False, observation=f"error: no file {norm!r}")
        if after is not None:
            if len(after) > self.budget.max_file_chars:
                return Action(turn=self.rec.turns, tool=tool, ok=False, observation=(
                    f"error: {len(after)} characters, over the limit of {self.budget.max_file_chars} per file"))
            if before is None and len(self.files) >= self.budget.max_files:
                return Action(turn=self.rec.turns, tool=tool, ok=False, observation=(
                    f"error: the workspace already holds {len(self.files)} files, the most it may"))
            self.files[norm] = after
        else:
            del self.files[norm]
        evidence = _actions.file_change_evidence(norm, before, after, self.given)
        said = "deleted" if after is None else f"wrote {len(after)} characters to"
        return Action(turn=self.rec.turns, tool=tool, observation=f"{said} {norm}", changed={norm: after},
                      evidence=evidence)

    def _write(self, path: str, content: str) -> Action:
        return self._change("write_file", path, content)

    def _delete(self, path: str) -> Action:
        return self._change("delete_file", path, None)

    def _run_tests(self) -> Action:
        action = self._run(TEST_COMMAND)
        action.tool = "run_tests"
        action.evidence = []  # the fixed test command reaches for nothing
        return action

    def _run(self, command: str) -> Action:
        if not command.strip():
            return Action(turn=self.rec.turns, tool="run_command", ok=False, observation="error: empty command")
        evidence = _actions.command_evidence(command)
        if self.commands >= self.budget.max_commands:
            return Action(turn=self.rec.turns, tool="run_command", ok=False, evidence=evidence,
                          observation=f"error: the budget of {self.budget.max_commands} commands is spent")
        self.commands += 1
        b = self.budget
        job = {"mode": "exec", "files": dict(self.files), "cwd": "{workdir}", "env": dict(_ENV),
               "keep_output": b.max_output_chars * 2,
               "argv": ["{python}", "-I", "-S", "-c", _RUNNER, command, str(b.command_timeout_s), str(b.max_files),
                        str(b.max_file_chars)]}
        res = self.pool.run(job, Limits(timeout_s=b.command_timeout_s + 10, cpu_s=b.command_timeout_s + 5,
                                        max_output=1 << 20))
        output = (res.stdout + ("\n" + res.stderr if res.stderr.strip() else "")).strip("\n")
        report = res.report if res.report and isinstance(res.report.get("files"), dict) else None
        if report is None:
            return Action(turn=self.rec.turns, tool="run_command", ok=False, evidence=evidence,
                          observation=f"{output}\n[the command ended the sandbox job ({res.status}: {res.detail}); "
                                      "the workspace is unchanged]".strip())
        after = {str(p): str(t) for p, t in report["files"].items()}
        changed = _actions.diff(self.files, after)
        for path, text in changed.items():
            evidence += _actions.file_change_evidence(path, self.files.get(path), text, self.given)
        self.files = after
        code = report.get("code")
        status = "timed out" if code is None else f"exit status {code}"
        note = f"\n[{len(changed)} file(s) changed: {', '.join(changed)}]" if changed else ""
        return Action(turn=self.rec.turns, tool="run_command", ok=code == 0, exit_code=code, changed=changed,
                      evidence=evidence, observation=f"{output}\n[{status}]{note}".strip())

    def _submit(self) -> Action:
        self.finish("submitted")
        kept = ", ".join(sorted(self.submission().files))
        return Action(turn=self.rec.turns, tool="submit", observation=f"submitted: {kept}")


def workspace_listing(files: dict[str, str]) -> str:
    """The files of a workspace as the text protocol shows them at the start: each under its name."""
    return "\n\n".join(f"--- {path} ---\n{text.rstrip()}" for path, text in sorted(files.items()))
