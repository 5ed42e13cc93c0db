"""Run untrusted model code: a pool of jailed zygotes (bubblewrap) or plain processes (rlimits only)."""

from .pool import JobResult, Limits, Pool, SandboxConfig, SandboxMode, ServeSession, close_pools, get_pool
from .zygote import NotPlainData, decode, encode

__all__ = [
    "JobResult", "Limits", "Pool", "SandboxConfig", "SandboxMode", "ServeSession", "close_pools", "get_pool",
    "NotPlainData", "decode", "encode",
]
