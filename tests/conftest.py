"""Shared test set-up: offline model hubs, and one sandbox pool per mode for the whole session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def jail_pool():
    from hackgym.sandbox import get_pool

    return get_pool("jail")


@pytest.fixture(scope="session")
def basic():
    from hackgym.problems import load_problems

    return load_problems("basic")


@pytest.fixture(scope="session")
def humaneval():
    from hackgym.problems import load_problems

    return load_problems("humaneval")
