"""Errors a user can act on: each names what is wrong and where."""


class HackgymError(Exception):
    """Base class: the CLI prints these as one clear line instead of a traceback."""


class ProblemError(HackgymError):
    """A problem record or problem file is invalid."""


class SubmissionError(HackgymError):
    """A submission cannot be turned into files (encoding, size, paths)."""


class GraderSpecError(HackgymError):
    """A grader spec string names an unknown grader or weakness."""


class SandboxUnavailable(HackgymError):
    """The requested sandbox mode cannot run here; never downgraded silently."""
