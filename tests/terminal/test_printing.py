"""Printing vouchers: to a file, and as ESC/POS bytes to a receipt printer."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy

from terminal.config import PrinterKind, PrinterSettings
from terminal.printing import EscposPrinter, FilePrinter, PrintError, printer_from_config
from terminal.voucher import render_voucher
from tests.terminal.test_cli import write_config
from tests.terminal.test_voucher import CANCELLED

FULL_CUT = b"\x1dV\x00"  # GS V 0
CHINESE_MODE = b"\x1c&"  # FS &


def test_file_printer_appends_each_voucher_with_a_tear_off_line(tmp_path: Path) -> None:
    path = tmp_path / "vouchers.txt"
    printer = FilePrinter(path, width=32)
    first, second = (dataclasses.replace(CANCELLED, cancel_ref=cancel_ref) for cancel_ref in ("C1", "C2"))
    printer.print_voucher(first, locale="zh_CN")
    printer.print_voucher(second, locale="en", reprint=True)
    text = path.read_text(encoding="utf-8")
    tear = "- " * 16 + "\n"
    assert text == (
        render_voucher(first, locale="zh_CN", width=32) + tear
        + render_voucher(second, locale="en", width=32, reprint=True) + tear
    )


def test_file_printer_in_a_missing_folder_says_where(tmp_path: Path) -> None:
    printer = FilePrinter(tmp_path / "no" / "such" / "vouchers.txt")
    with pytest.raises(PrintError) as info:
        printer.print_voucher(CANCELLED, locale="zh_CN")
    assert str(tmp_path / "no" / "such" / "vouchers.txt") in str(info.value)
    assert "reprint" in str(info.value)


def test_receipt_printer_gets_the_chinese_voucher_in_gb18030_and_a_cut() -> None:
    dummy = Dummy()
    EscposPrinter(lambda: dummy, width=32).print_voucher(CANCELLED, locale="zh_CN")
    out = dummy.output
    assert CHINESE_MODE in out
    assert "取消编号".encode("gb18030") in out
    ref_line = next(line for line in render_voucher(CANCELLED, locale="zh_CN", width=32).splitlines()
                    if "C20261127000042" in line)
    assert (ref_line + "\n").encode("gb18030") in out
    assert "成都市武侯区天府大道100号".encode("gb18030") in out
    assert out.endswith(FULL_CUT)
    assert out.index(CHINESE_MODE) < out.index("取消编号".encode("gb18030")) < out.index(FULL_CUT)


def test_an_all_ascii_voucher_is_sent_without_chinese_mode() -> None:
    # Only a voucher with no ¥ and no Chinese is plain ASCII: English, another currency.
    dummy = Dummy()
    printer = EscposPrinter(lambda: dummy, width=42)
    attempt = dataclasses.replace(CANCELLED, address="1 Main Street", currency="840")
    printer.print_voucher(attempt, locale="en")
    assert CHINESE_MODE not in dummy.output
    assert b"C20261127000042" in dummy.output and FULL_CUT in dummy.output


def test_english_voucher_with_a_chinese_address_still_prints_the_address() -> None:
    dummy = Dummy()
    EscposPrinter(lambda: dummy, width=32).print_voucher(CANCELLED, locale="en")
    assert CHINESE_MODE in dummy.output
    assert "成都市武侯区".encode("gb18030") in dummy.output


class _NoPaper(Dummy):
    def _read(self) -> bytes:
        return bytes([0x72])  # DLE EOT 4 answer: paper end sensor on


class _Unplugged(Dummy):
    def _raw(self, msg: bytes) -> None:
        raise OSError(5, "Input/output error")


def test_printer_out_of_paper_is_a_print_error_and_nothing_is_sent() -> None:
    dummy = _NoPaper()
    with pytest.raises(PrintError, match="out of paper"):
        EscposPrinter(lambda: dummy, check_paper=True).print_voucher(CANCELLED, locale="zh_CN")
    assert "取消编号".encode("gb18030") not in dummy.output


@pytest.mark.parametrize(
    "connect",
    [
        lambda: _Unplugged(),
        lambda: (_ for _ in ()).throw(DeviceNotFoundError("Unable to open serial printer on /dev/ttyUSB9")),
    ],
    ids=["write fails", "cannot open"],
)
def test_printer_failure_is_a_print_error_not_a_crash(connect) -> None:
    printer = EscposPrinter(connect, where="The receipt printer on /dev/ttyUSB9")
    with pytest.raises(PrintError) as info:
        printer.print_voucher(CANCELLED, locale="zh_CN")
    message = str(info.value)
    assert "/dev/ttyUSB9" in message and "switched on" in message


def test_network_printer_that_is_not_there_is_a_print_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a local port nobody listens on: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = printer_from_config(PrinterSettings(kind=PrinterKind.NETWORK, host="127.0.0.1", port=port))
    assert isinstance(printer, EscposPrinter)
    with pytest.raises(PrintError, match=f"127.0.0.1:{port}"):
        printer.print_voucher(CANCELLED, locale="zh_CN")


def test_serial_printer_on_a_missing_device_is_a_print_error(tmp_path: Path) -> None:
    device = tmp_path / "ttyUSB-missing"
    printer = printer_from_config(PrinterSettings(kind=PrinterKind.SERIAL, path=device))
    with pytest.raises(PrintError, match=str(device)):
        printer.print_voucher(CANCELLED, locale="en")


def test_printer_from_config_builds_the_configured_kind_without_connecting(tmp_path: Path) -> None:
    assert printer_from_config(PrinterSettings()) is None
    file_printer = printer_from_config(PrinterSettings(kind=PrinterKind.FILE, path=tmp_path / "v.txt", width=48))
    assert isinstance(file_printer, FilePrinter) and file_printer.width == 48
    assert not (tmp_path / "v.txt").exists()
    usb = printer_from_config(PrinterSettings(kind=PrinterKind.USB, vendor_id=0x0416, product_id=0x5011))
    assert isinstance(usb, EscposPrinter) and "0416:5011" in usb.where


def test_loading_the_printing_module_does_not_load_escpos() -> None:
    # escpos takes about a second to import; the app must not pay that before it is needed.
    code = "import sys, terminal.printing; print('escpos' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# The CLI as an install without the printer extra runs it: escpos cannot be found.
WITHOUT_ESCPOS = (
    "import sys; sys.modules['escpos'] = None\n"
    "from terminal.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.mark.parametrize("printer", [
    '[printer]\nkind = "serial"\npath = "/dev/ttyUSB1"',
    '[printer]\nkind = "network"\nhost = "192.0.2.7"',
])
def test_an_escpos_printer_without_the_printer_extra_is_refused_at_start(tmp_path, printer) -> None:
    config = write_config(tmp_path, "/dev/null-port", extra=printer)
    for command in (["--json", "history"], ["ui"]):
        result = subprocess.run([sys.executable, "-c", WITHOUT_ESCPOS, "--config", str(config), *command],
                                capture_output=True, text=True, timeout=60)
        said = result.stdout + result.stderr  # JSON on stdout under --json, else text on stderr
        assert result.returncode == 2, said
        assert "pos-cancel-appointment[printer]" in said
        assert "printer.kind" in said and str(config) in said
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "journal.sqlite").exists()  # refused before anything was opened


def test_a_file_printer_needs_no_printer_extra(tmp_path) -> None:
    config = write_config(tmp_path, "/dev/null-port", extra='[printer]\nkind = "file"\npath = "vouchers.txt"')
    result = subprocess.run([sys.executable, "-c", WITHOUT_ESCPOS, "--config", str(config), "--json", "history"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
