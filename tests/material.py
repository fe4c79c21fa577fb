"""The fixed protocol material: the host link protocol's test vectors (tests/protocol/vectors.json,
described in docs/protocol.md), with the test terminal's key, TID and merchant number."""

from __future__ import annotations

import copy
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VECTORS_FILE = REPO / "tests" / "protocol" / "vectors.json"
VECTORS: dict = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
KEY: bytes = bytes.fromhex(VECTORS["key_hex"])
TID: str = VECTORS["tid"]
MERCHANT_ID: str = VECTORS["merchant_id"]


def vector_named(name: str) -> dict:
    """A copy of the vector: a test that edits it must not change what the next test reads."""
    return copy.deepcopy(next(v for v in VECTORS["vectors"] if v["name"] == name))
