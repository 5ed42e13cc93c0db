"""LLM classifiers that label support tickets before a person reads them."""

from .registry import REGISTRY, Classifier, TemplateError, get

__all__ = ["REGISTRY", "Classifier", "TemplateError", "get"]
