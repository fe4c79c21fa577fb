"""The terminal config: what loads, and what a technician is told when it does not."""

from __future__ import annotations

import os
import pickle
import traceback
from pathlib import Path

import pytest

from terminal.config import (
    DEMO_PIN_HASH,
    ConfigError,
    PrinterKind,
    TerminalKey,
    config_path_from,
    demo_config,
    load_config,
)
from terminal.supervisor_pin import verify_pin

KEY_HEX = "a1" * 16 + "b2" * 16
FULL = f"""
[terminal]
tid = "TEST0001"
merchant_id = "898440358120001"
key_file = "terminal.key"
operator_id = "07"
supervisor_pin = "{DEMO_PIN_HASH}"

[link]
port = "socket://127.0.0.1:7000"
baud = 9600
t_char_ms = 300
t_ack_ms = 800
t_resp_ms = 15000

[ui]
locale = "en"

[journal]
path = "data/journal.sqlite"

[printer]
kind = "file"
path = "vouchers.txt"
width = 42
"""
MINIMAL = f"""
[terminal]
tid = "T1"
merchant_id = "898440358120001"
key_file = "terminal.key"
supervisor_pin = "{DEMO_PIN_HASH}"
"""


def write_config(tmp_path: Path, text: str, key: str | None = KEY_HEX + "\n", mode: int = 0o600) -> Path:
    if key is not None:
        key_path = tmp_path / "terminal.key"
        key_path.write_text(key)
        key_path.chmod(mode)
    (tmp_path / "data").mkdir(exist_ok=True)  # FULL's journal folder: a journal's folder must exist
    path = tmp_path / "terminal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=environ or {})
    message = str(info.value)
    assert str(path) in message, "every refusal names the file"
    assert KEY_HEX not in message
    return message


def test_full_config_loads_with_paths_relative_to_the_config_file(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path, FULL), environ={})
    assert cfg.terminal.tid == "TEST0001"
    assert cfg.terminal.merchant_id == "898440358120001"
    assert cfg.terminal.operator_id == "07"
    assert cfg.terminal.key.reveal() == bytes.fromhex(KEY_HEX)
    assert cfg.terminal.key_file == tmp_path / "terminal.key"
    assert verify_pin("123456", cfg.terminal.supervisor_pin_hash)
    assert (cfg.link.port, cfg.link.baud) == ("socket://127.0.0.1:7000", 9600)
    assert (cfg.link.t_char_ms, cfg.link.t_ack_ms, cfg.link.t_resp_ms) == (300, 800, 15000)
    assert cfg.ui.locale == "en"
    assert cfg.journal.path == tmp_path / "data" / "journal.sqlite"
    assert cfg.printer.kind is PrinterKind.FILE
    assert cfg.printer.path == tmp_path / "vouchers.txt"
    assert cfg.printer.width == 42
    assert not cfg.demo


def test_minimal_config_takes_the_documented_defaults(tmp_path: Path) -> None:
    data_home = tmp_path / "xdg-data"
    cfg = load_config(write_config(tmp_path, MINIMAL), environ={"XDG_DATA_HOME": str(data_home)})
    assert cfg.terminal.operator_id == "00"
    assert cfg.link.port is None and cfg.demo
    assert (cfg.link.baud, cfg.link.t_char_ms, cfg.link.t_ack_ms, cfg.link.t_resp_ms) == (
        115200, 200, 500, 10000,
    )
    assert cfg.ui.locale == "zh_CN"
    assert cfg.journal.path == data_home / "pos-terminal" / "journal.sqlite"
    assert cfg.printer.kind is PrinterKind.NONE


def test_journal_defaults_to_home_local_share_without_a_usable_xdg_data_home(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL)
    home = tmp_path / "home"
    for environ in ({"HOME": str(home)}, {"HOME": str(home), "XDG_DATA_HOME": "relative/dir"}):
        cfg = load_config(path, environ=environ)
        assert cfg.journal.path == home / ".local" / "share" / "pos-terminal" / "journal.sqlite"


def test_empty_port_means_demo_mode(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path, MINIMAL + '[link]\nport = ""\n'), environ={})
    assert cfg.link.port is None


def test_missing_file_is_named(tmp_path: Path) -> None:
    message = refusal(tmp_path / "nowhere.toml")
    assert "no such config file" in message


def test_bad_toml_gives_line_and_column(tmp_path: Path) -> None:
    message = refusal(write_config(tmp_path, '[terminal]\ntid = "TEST0001"\nmerchant_id 898\n'))
    assert "not valid TOML" in message
    assert "line 3" in message and "column" in message


def test_unknown_section_is_named_with_the_known_ones(tmp_path: Path) -> None:
    message = refusal(write_config(tmp_path, MINIMAL + "[screen]\nsize = 3\n"))
    assert "[screen]" in message
    for known in ("[terminal]", "[link]", "[ui]", "[journal]", "[printer]"):
        assert known in message


def test_unknown_key_is_named_with_the_known_ones(tmp_path: Path) -> None:
    message = refusal(write_config(tmp_path, MINIMAL + "[link]\nbaudrate = 9600\n"))
    assert "link.baudrate" in message
    assert "baud" in message and "t_resp_ms" in message


REFUSALS = [
    # (what to add or change, the key named, words the message must carry)
    ('tid = "T1"', 'tid = 12345678', "terminal.tid", "quoted string"),
    ('tid = "T1"', 'tid = "TEST00012"', "terminal.tid", "1 to 8"),
    ('tid = "T1"', 'tid = ""', "terminal.tid", "1 to 8"),
    ('merchant_id = "898440358120001"', 'merchant_id = "8984403581200"', "terminal.merchant_id", "exactly 15"),
    ('merchant_id = "898440358120001"', 'merchant_id = "89844035812000é"', "terminal.merchant_id", "printable ASCII"),
    (f'supervisor_pin = "{DEMO_PIN_HASH}"', 'supervisor_pin = "123456"', "terminal.supervisor_pin", "terminal.supervisor_pin`"),
    (f'supervisor_pin = "{DEMO_PIN_HASH}"', "", "terminal.supervisor_pin", "missing"),
    ('key_file = "terminal.key"', "", "terminal.key_file", "missing"),
    ("", "[link]\nbaud = 14400", "link.baud", "115200"),
    ("", "[link]\nbaud = true", "link.baud", "whole number"),
    ("", "[link]\nt_resp_ms = 0", "link.t_resp_ms", "1 to 600000"),
    ("", '[ui]\nlocale = "fr"', "ui.locale", '"zh_CN" or "en"'),
    ("", "[ui]\nlocale = 1", "ui.locale", "quoted string"),
    ("", '[printer]\nkind = "laser"', "printer.kind", '"network"'),
    ("", '[printer]\nkind = "file"', "printer.path", "missing"),
    ("", '[printer]\nkind = "network"', "printer.host", "missing"),
    ("", '[printer]\nkind = "usb"\nvendor_id = 0x0416', "printer.product_id", "lsusb"),
    ("", "[printer]\nwidth = 40", "printer.width", "32, 42 or 48"),
    ("", "[printer]\nport = 70000", "printer.port", "1 to 65535"),
    ("", "ui = 3", "ui", "table"),
]


@pytest.mark.parametrize(("old", "new", "key", "words"), REFUSALS)
def test_each_mistake_is_refused_naming_the_key(tmp_path: Path, old: str, new: str, key: str, words: str) -> None:
    text = MINIMAL.replace(old, new) if old else MINIMAL + new + "\n"
    if key == "ui":
        text = new + "\n" + MINIMAL  # a top-level value must come before the first table
    message = refusal(write_config(tmp_path, text))
    assert key in message
    assert words in message


def test_missing_key_file_is_refused(tmp_path: Path) -> None:
    message = refusal(write_config(tmp_path, MINIMAL, key=None))
    assert "terminal.key_file" in message
    assert str(tmp_path / "terminal.key") in message and "does not exist" in message


@pytest.mark.parametrize(
    "content", [KEY_HEX[:-1], KEY_HEX + "00", KEY_HEX[:-1] + "g", "", f"{KEY_HEX[:32]} {KEY_HEX[32:]}"]
)
def test_key_that_is_not_64_hex_digits_is_refused_without_echoing_it(tmp_path: Path, content: str) -> None:
    message = refusal(write_config(tmp_path, MINIMAL, key=content))
    assert "terminal.key_file" in message and "64 hexadecimal digits" in message
    if content:
        assert content.strip()[:16] not in message


def test_key_with_surrounding_whitespace_is_accepted(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path, MINIMAL, key=f"\n  {KEY_HEX.upper()}  \r\n"), environ={})
    assert cfg.terminal.key == TerminalKey(bytes.fromhex(KEY_HEX))


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o601])
def test_key_file_open_to_group_or_others_is_refused_with_the_chmod_to_run(tmp_path: Path, mode: int) -> None:
    message = refusal(write_config(tmp_path, MINIMAL, mode=mode))
    assert "terminal.key_file" in message
    assert f"chmod 600 {tmp_path / 'terminal.key'}" in message


def test_key_file_readable_only_by_its_owner_is_accepted(tmp_path: Path) -> None:
    for mode in (0o600, 0o400):
        cfg = load_config(write_config(tmp_path, MINIMAL, mode=mode), environ={})
        assert cfg.terminal.key.reveal() == bytes.fromhex(KEY_HEX)


def test_key_never_shows_in_repr_str_or_pickle(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path, FULL), environ={})
    key_bytes = bytes.fromhex(KEY_HEX)
    for text in (repr(cfg), str(cfg), repr(cfg.terminal), str(cfg.terminal.key), f"{cfg.terminal.key}"):
        assert KEY_HEX not in text.lower()
        assert repr(key_bytes) not in text
        assert "<redacted>" in text
    assert DEMO_PIN_HASH.split("$")[2] not in repr(cfg)
    with pytest.raises(TypeError):
        pickle.dumps(cfg.terminal.key)


def test_a_traceback_with_locals_of_a_refused_key_does_not_hold_it(tmp_path: Path) -> None:
    # Textual prints tracebacks with local variables: a malformed key must not be among them.
    path = write_config(tmp_path, MINIMAL, key=KEY_HEX[:-1])
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    shown = "".join(traceback.TracebackException.from_exception(info.value, capture_locals=True).format())
    assert KEY_HEX[:-1] not in shown
    assert KEY_HEX[:-1].encode() not in shown.encode()


def test_demo_terminal(tmp_path: Path) -> None:
    cfg = demo_config(tmp_path)
    assert (cfg.terminal.tid, cfg.terminal.merchant_id, cfg.terminal.operator_id) == (
        "TEST0001", "898440358120001", "00",
    )
    assert cfg.terminal.key.reveal() == bytes(range(32))
    assert verify_pin("123456", cfg.terminal.supervisor_pin_hash)
    assert cfg.demo and cfg.link.port is None
    assert cfg.journal.path == tmp_path / "journal.sqlite"
    assert cfg.ui.locale == "zh_CN"
    assert "000102030405" not in repr(cfg)


def test_config_path_from_prefers_the_option_then_the_environment(tmp_path: Path) -> None:
    env = {"POS_TERMINAL_CONFIG": str(tmp_path / "env.toml")}
    assert config_path_from(str(tmp_path / "cli.toml"), env) == tmp_path / "cli.toml"
    assert config_path_from(None, env) == tmp_path / "env.toml"
    assert config_path_from(None, {}) is None
    assert config_path_from(None, {"POS_TERMINAL_CONFIG": ""}) is None


def test_config_file_named_in_the_environment_loads(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL)
    found = config_path_from(None, {"POS_TERMINAL_CONFIG": os.fspath(path)})
    assert found is not None
    assert load_config(found, environ={}).terminal.tid == "T1"


@pytest.mark.parametrize("pin_line", ["supervisor_pin = 739146", 'supervisor_pin = "739146"', "supervisor_pin = [739146]"])
def test_a_pin_where_its_hash_belongs_is_never_echoed(tmp_path: Path, pin_line: str) -> None:
    message = refusal(write_config(tmp_path, MINIMAL.replace(f'supervisor_pin = "{DEMO_PIN_HASH}"', pin_line)))
    assert "terminal.supervisor_pin" in message and "python -m terminal.supervisor_pin" in message
    assert "739146" not in message


def test_a_journal_path_in_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    # A typo here would otherwise start a new, empty journal: no history, and the real one's
    # open cancellations never settled.
    message = refusal(write_config(tmp_path, MINIMAL + '[journal]\npath = "/nonexistent/j.sqlite"\n'))
    assert "journal.path" in message and "the folder /nonexistent does not exist" in message
    assert "mkdir -p /nonexistent" in message
    assert not Path("/nonexistent").exists()
