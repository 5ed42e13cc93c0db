"""Run untrusted model code: a pool of jailed zygotes (bubblewrap) or plain processes (rlimits only).

`jail` (the default) is isolation; `process` is not, and says so (`describe_mode`). A jail that cannot start
raises SandboxUnavailable naming what to install: there is no silent fallback.
"""

from .pool import (
    PROCESS_WARNING,
    JobResult,
    Limits,
    Pool,
    SandboxConfig,
    SandboxMode,
    ServeSession,
    close_pools,
    describe_mode,
    ensure_mode,
    get_pool,
)
from .zygote import NotPlainData, decode, encode

__all__ = [
    "JobResult", "Limits", "Pool", "SandboxConfig", "SandboxMode", "ServeSession", "close_pools", "get_pool",
    "NotPlainData", "decode", "encode", "describe_mode", "ensure_mode", "PROCESS_WARNING",
]
