"""Hypothesis-driven fuzzing of the four receive paths, with the oracles bench/fuzz.py uses too
(tests/support/fuzz_targets.py):

- the frame reader: only events; a GoodFrame is good and a CorruptFrame is not; an intact frame at
  the end of any stream is delivered; the buffer never holds more than one maximal frame plus the
  latest read, and is empty after a silence;
- the message decoder: a message or RemoteProtocolError, and what it decodes re-encodes to the same;
- the host: only events; every request read or refused gets a response that encodes and reads
  back (an ERROR for a refused one), and none is left unanswered;
- the terminal connection: only events; an answer is delivered only for the outstanding request
  and only once, and anything but an ERROR only with a verified MAC.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from protocol.enums import MAX_FRAME
from tests.fuzz.strategies import framer_cases, host_cases, message_cases, terminal_cases
from tests.support.fuzz_targets import HostBench, run_framer, run_messages, run_terminal, store_folder

# With test_fuzz_script.py's run, a few thousand inputs per target; deadline off because a loaded
# CI machine stalls now and then.
FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def host_bench():
    with tempfile.TemporaryDirectory(dir=store_folder(), prefix="pos-fuzz-") as folder:
        bench = HostBench(Path(folder))
        yield bench
        bench.close()


@FUZZ
@given(framer_cases())
def test_frame_reader(case) -> None:
    result = {"max_buffer": 0}
    run_framer(case, result)
    assert result["max_buffer"] <= MAX_FRAME + max(len(chunk) for _, chunk in case["chunks"]) + len(case["tail"])


@FUZZ
@given(message_cases())
def test_message_decoder(case) -> None:
    run_messages(case, {"max_buffer": 0})


@FUZZ
@given(case=host_cases())
def test_host_connection_and_logic(host_bench, case) -> None:
    host_bench.run(case, {"max_buffer": 0})


@FUZZ
@given(terminal_cases())
def test_terminal_connection(case) -> None:
    run_terminal(case, {"max_buffer": 0})
