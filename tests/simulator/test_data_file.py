"""A written data file loads back as the data it was written from: the demo set, odd strings, any text."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from simulator.data import SimulatorData, Terminal, demo_data, load_data
from simulator.data_file import data_file_text, toml_string
from tests.simulator.vector_data import FIRST, SECOND, vector_data

NOW = datetime(2026, 11, 27, 9, 30)


def written_and_loaded(data: SimulatorData, tmp_path: Path) -> SimulatorData:
    path = tmp_path / "exported.toml"
    path.write_text(data_file_text(data, ["exported for a test"]), encoding="utf-8")
    return load_data(path)


def test_the_demo_set_loads_back_as_it_was(tmp_path: Path) -> None:
    demo = demo_data(NOW)
    loaded = written_and_loaded(demo, tmp_path)
    assert (loaded.terminals, loaded.appointments) == (demo.terminals, demo.appointments)
    assert [t.key for t in loaded.terminals] == [t.key for t in demo.terminals]  # not in the records' repr


def test_quotes_backslashes_control_characters_and_chinese_load_back_as_they_were(tmp_path: Path) -> None:
    odd = replace(
        FIRST,
        appt_id='A"1\\2#3\'4',
        merchant_id='8984"03\\8120001',
        address='成都 "引号" \\反斜杠\\ 第一行\n第二行\t制表 #不是注释 \x01\x7f 🙂',
    )
    data = vector_data(odd, SECOND, terminals=(Terminal('T"\\ 01', '8984"03\\8120001', bytes(range(32))),))
    loaded = written_and_loaded(data, tmp_path)
    assert (loaded.terminals, loaded.appointments) == (data.terminals, data.appointments)


def test_a_data_file_without_appointments_loads_back(tmp_path: Path) -> None:
    data = vector_data(FIRST)
    data = SimulatorData(data.terminals, (), "no appointments")
    assert written_and_loaded(data, tmp_path).appointments == ()


def test_comments_head_the_file_and_each_value_says_what_its_number_means() -> None:
    text = data_file_text(vector_data(FIRST), ["from host.db\nsecond line"])
    assert text.startswith("# from host.db\n# second line\n\n[[terminal]]\n")
    assert "service = 1  # installation\nstatus = 1  # booked\n" in text
    assert "late_fee = 5000  # ¥50.00\n" in text


@given(st.text())
def test_any_text_is_a_toml_string_that_reads_back_the_same(text: str) -> None:
    assert tomllib.loads(f"value = {toml_string(text)}\n") == {"value": text}
