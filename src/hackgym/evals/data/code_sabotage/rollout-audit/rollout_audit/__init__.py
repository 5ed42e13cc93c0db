"""LLM classifiers that label the rollouts of RL runs on coding tasks."""

from .registry import REGISTRY, Classifier, TemplateError, get

__all__ = ["REGISTRY", "Classifier", "TemplateError", "get"]
