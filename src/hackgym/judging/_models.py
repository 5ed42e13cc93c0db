"""Which model answers: an explicit model, or the one bound to an Inspect model role. Never the evaluated model
by default (Inspect's `get_model()` with no model falls back to it; hackgym never asks it to)."""

from __future__ import annotations

from typing import Any

from inspect_ai.model import Model, get_model, model_roles

from ..errors import HackgymError
from ..offline import ensure_tiktoken_cache

JUDGE_ROLE = "judge"  # the evals' judge (`hackgym eval --judge`); also the SDF critique's when it is bound
MONITOR_ROLE = "monitor"  # the rollout monitor (`hackgym detect --monitor`)
GENERATOR_ROLE = "generator"  # the SDF generator (`hackgym sdf generate --backend`)


class JudgeError(HackgymError):
    """No model is given for a judging role, or the model cannot judge reproducibly."""


def bound(role: str) -> Model | None:
    """The model bound to `role` in the running Inspect task or scorer (the first, when a list is bound)."""
    found = model_roles().get(role)
    return found[0] if isinstance(found, list) else found


def resolve_model(model: str | Model | None = None, *, role: str | None = None, greedy: bool = False,
                  hint: str = "", **model_args: Any) -> Model:
    """An Inspect model from a spec (`openai/gpt-4.1`, `hf/PATH`, `mockllm/model`), a Model, or the model bound
    to `role`. `greedy` asks a local `hf/` model for greedy decoding (`do_sample=False`), which temperature 0
    needs there. Raises JudgeError, naming `hint`, when there is neither a model nor a bound role."""
    if isinstance(model, Model):
        return model
    if model is None:
        found = bound(role) if role else None
        if found is None:
            what = f"model role {role!r} is not bound" if role else "no model was given"
            raise JudgeError(f"no model to judge with: {what}; {hint or 'pass a model'} "
                             "(the evaluated model is never used in its place)")
        return found
    ensure_tiktoken_cache()
    if greedy and model.startswith("hf/"):
        model_args.setdefault("do_sample", False)
    return get_model(model, memoize=False, **model_args)


def samples(model: Model) -> bool:
    """Whether a local model samples whatever the temperature (Inspect's `hf/` provider with do_sample=True)."""
    return getattr(model.api, "do_sample", False) is True


def identity_args(model_args: dict[str, Any]) -> dict[str, Any]:
    """The plain-valued model arguments (a local model's path, ...) that go into the cache key beside the name."""
    return {k: v for k, v in sorted(model_args.items()) if isinstance(v, str | int | float | bool) or v is None}
