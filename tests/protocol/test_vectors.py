"""Every frame in the protocol's test vectors (tests/protocol/vectors.json) encodes from its fields and decodes to them."""

from __future__ import annotations

import pytest

from protocol.enums import HEADER_SIZE, MessageType, Tag
from protocol.fields import decode_plain_fields
from protocol.frame import encode_message_frame, frame_body, frame_problem, parse_envelope
from protocol.messages import MESSAGE_CLASSES
from tests.material import KEY, REPO, VECTORS, VECTORS_FILE


def _to_tags(pairs: list) -> list:
    return [(Tag[name], _to_tags(value) if isinstance(value, list) else value) for name, value in pairs]


def _to_names(pairs: list) -> list:
    return [[tag.name, _to_names(value) if isinstance(value, list) else value] for tag, value in pairs]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_fields_encode_to_exactly_the_vector_bytes(vector):
    cls = MESSAGE_CLASSES[MessageType(vector["type"])]
    message = cls.from_plain_fields(_to_tags(vector["fields"]))
    frame = encode_message_frame(message, seq=vector["seq"], tid=vector["tid"], key=KEY)
    assert frame.hex() == vector["frame_hex"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_vector_bytes_decode_to_exactly_the_fields(vector):
    raw = bytes.fromhex(vector["frame_hex"])
    assert frame_problem(raw) is None
    envelope = parse_envelope(frame_body(raw))
    assert (envelope.type, envelope.seq, envelope.tid) == (vector["type"], vector["seq"], vector["tid"])
    assert envelope.mac_verifies(KEY)
    assert _to_names(decode_plain_fields(envelope.fields)) == vector["fields"]
    typed = envelope.message()
    assert _to_names(typed.to_plain_fields()) == vector["fields"]


def test_vectors_cover_every_message_type_the_terminal_meets():
    types = {MessageType(v["type"]) for v in VECTORS["vectors"]}
    assert types >= {
        MessageType.ECHO_REQ,
        MessageType.ECHO_RESP,
        MessageType.LIST_REQ,
        MessageType.LIST_RESP,
        MessageType.CANCEL_REQ,
        MessageType.CANCEL_RESP,
        MessageType.STATUS_REQ,
        MessageType.STATUS_RESP,
        MessageType.ERROR,
    }


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_the_hot_path_header_is_exactly_the_construct_declaration(vector):
    from protocol.frame import BODY_HEADER, struct_of

    body = frame_body(bytes.fromhex(vector["frame_hex"]))
    declared = BODY_HEADER.parse(body)
    fast = struct_of(BODY_HEADER).unpack_from(body)
    assert fast == (declared.version, declared.type, declared.seq, declared.tid)
    assert struct_of(BODY_HEADER).pack(*fast) == BODY_HEADER.build(declared) == body[:HEADER_SIZE]


# Where the host link protocol's owners publish the vectors, beside a checkout of this repository.
PUBLISHED_VECTORS = REPO.parent / "shared" / "protocol" / "vectors.json"


@pytest.mark.skipif(not PUBLISHED_VECTORS.exists(), reason="no published copy of the vectors beside this checkout")
def test_the_kept_copy_equals_the_published_vectors():
    assert VECTORS_FILE.read_bytes() == PUBLISHED_VECTORS.read_bytes(), (
        f"{VECTORS_FILE} differs from {PUBLISHED_VECTORS}: copy the published file over the kept one "
        "and run the suite (the protocol is the host's, so its vectors win)"
    )
