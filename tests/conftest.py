"""Fixtures every layer's tests share."""

from __future__ import annotations

import pytest

from tests.material import KEY, VECTORS


@pytest.fixture(scope="session")
def vectors() -> dict:
    return VECTORS


@pytest.fixture(scope="session")
def vector_key() -> bytes:
    return KEY

