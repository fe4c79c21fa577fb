"""Voucher printers from the [printer] config: a text file, or an ESC/POS receipt printer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminal.config import PrinterKind, PrinterSettings, TerminalConfig
from terminal.journal import Attempt
from terminal.voucher import render_voucher

if TYPE_CHECKING:
    from escpos.escpos import Escpos

ESC_INIT = b"\x1b@"  # ESC @: reset whatever mode the last job left the printer in
FS_CHINESE_ON = b"\x1c&"  # FS &: double-byte (GB) character mode
FS_CHINESE_OFF = b"\x1c."  # FS .: back to single-byte characters
PRINTER_ENCODING = "gb18030"
NETWORK_TIMEOUT_S = 5  # a switched-off printer must not hold the screen for escpos's 60 s
SERIAL_PRINTER_BAUD = 9600  # the usual factory setting of receipt printers


class PrintError(Exception):
    """The voucher was not printed; the message says why and what to do. It stays in History."""


class VoucherPrinter:
    """Something a voucher can be printed on, `width` columns wide."""

    def __init__(self, width: int) -> None:
        self.width = width

    def print_voucher(
        self, attempt: Attempt, *, locale: str, reprint: bool = False, training: bool = False
    ) -> None:
        self.print_text(
            render_voucher(attempt, locale=locale, width=self.width, reprint=reprint, training=training)
        )

    def print_text(self, text: str) -> None:
        raise NotImplementedError


class FilePrinter(VoucherPrinter):
    """Appends each voucher to a text file, followed by a tear-off line."""

    def __init__(self, path: Path, width: int = 32) -> None:
        super().__init__(width)
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"FilePrinter({str(self.path)!r}, width={self.width})"

    def print_text(self, text: str) -> None:
        if not text.endswith("\n"):
            text += "\n"
        try:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(text + "- " * (self.width // 2) + "\n")
        except OSError as exc:
            raise PrintError(
                f"The voucher could not be written to {self.path} ({exc.strerror}). Check that "
                "the folder exists and is writable, then reprint it from History."
            ) from None


class EscposPrinter(VoucherPrinter):
    """An ESC/POS receipt printer reached through python-escpos.

    `connect` builds the python-escpos printer object; it is called for every voucher, so a
    printer switched on after start-up is found, and escpos is imported only when printing.
    """

    def __init__(
        self,
        connect: Callable[[], Escpos],
        width: int = 32,
        *,
        where: str = "The receipt printer",
        check_paper: bool = False,
    ) -> None:
        super().__init__(width)
        self._connect = connect
        self.where = where
        self.check_paper = check_paper

    def __repr__(self) -> str:
        return f"EscposPrinter({self.where!r}, width={self.width})"

    def print_text(self, text: str) -> None:
        job = encode_for_printer(text)
        printer: Any = None
        try:
            printer = self._connect()
            if self.check_paper and printer.paper_status() == 0:
                raise PrintError(
                    f"{self.where} is out of paper. Load a new roll, then reprint the voucher "
                    "from History."
                )
            printer._raw(job)
            printer.cut()
        except PrintError:
            raise
        except Exception as exc:  # noqa: BLE001 - any driver failure is a failed print, not a crash
            raise PrintError(
                f"{self.where} did not take the voucher ({_reason(exc)}). Check that it is "
                "switched on, has paper and its cable is plugged in, then reprint the voucher "
                "from History."
            ) from None
        finally:
            if printer is not None:
                try:
                    printer.close()
                except Exception:  # noqa: BLE001 - closing a dead connection may fail as well
                    pass


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def encode_for_printer(text: str) -> bytes:
    """The print job for `text`: plain ASCII as is; anything else in GB18030 Chinese mode."""
    body = text if text.endswith("\n") else text + "\n"
    if body.isascii():
        return ESC_INIT + body.encode("ascii")
    return ESC_INIT + FS_CHINESE_ON + body.encode(PRINTER_ENCODING) + FS_CHINESE_OFF


def printer_from_config(cfg: TerminalConfig | PrinterSettings) -> VoucherPrinter | None:
    """The printer the config names; None for kind = "none"."""
    settings = cfg.printer if isinstance(cfg, TerminalConfig) else cfg
    kind = settings.kind
    if kind is PrinterKind.NONE:
        return None
    if kind is PrinterKind.FILE:
        assert settings.path is not None  # load_config insists on it
        return FilePrinter(settings.path, settings.width)
    if kind is PrinterKind.SERIAL:
        device = str(settings.path)

        def serial() -> Escpos:
            from escpos.printer import Serial

            return Serial(devfile=device, baudrate=SERIAL_PRINTER_BAUD)

        return EscposPrinter(
            serial, settings.width, where=f"The receipt printer on {device}", check_paper=True
        )
    if kind is PrinterKind.NETWORK:
        host, port = settings.host, settings.port

        def network() -> Escpos:
            from escpos.printer import Network

            return Network(host=host, port=port, timeout=NETWORK_TIMEOUT_S)

        return EscposPrinter(
            network, settings.width, where=f"The receipt printer at {host}:{port}", check_paper=True
        )
    if kind is PrinterKind.USB:
        vendor, product = settings.vendor_id, settings.product_id

        def usb() -> Escpos:
            from escpos.printer import usb as escpos_usb

            if not escpos_usb.is_usable():
                # Checked first: escpos's Usb object fails noisily even when garbage-collected.
                raise RuntimeError("USB printing needs the pyusb package, which is not installed")
            return escpos_usb.Usb(idVendor=vendor, idProduct=product)

        return EscposPrinter(
            usb, settings.width, where=f"The USB receipt printer {vendor:04x}:{product:04x}"
        )
    raise ValueError(f"unknown printer kind {kind!r}")
