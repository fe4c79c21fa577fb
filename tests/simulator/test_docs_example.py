"""The complete data file of docs/host-data.md loads with the simulator's loader, as documented."""

from __future__ import annotations

import re

from simulator.data import load_data
from tests.material import REPO


def test_the_documented_example_data_file_loads(tmp_path):
    text = (REPO / "docs" / "host-data.md").read_text(encoding="utf-8")
    [example] = [block for block in re.findall(r"```toml\n(.*?)```", text, re.S) if "[[terminal]]" in block
                 and "[[appointment]]" in block and "B20261129001" in block]
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    data = load_data(path)
    assert (len(data.terminals), len(data.appointments)) == (2, 7)  # as the document says it prints
