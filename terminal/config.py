"""The terminal's TOML config: read it, check every value, and say exactly what is wrong."""

from __future__ import annotations

import enum
import hmac
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terminal.catalogue import LOCALES, PAPER_WIDTHS
from terminal.line_speed import check_line_speed
from terminal.supervisor_pin import PinHashError, parse_pin_hash

CONFIG_ENV = "POS_TERMINAL_CONFIG"
KEY_BYTES = 32

DEMO_TID = "TEST0001"
DEMO_MERCHANT_ID = "898440358120001"
DEMO_KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
# hash_pin("123456", salt=b"pos-terminal-dem"), worked out once so that demo mode does not pay
# for scrypt at start-up.
DEMO_PIN_HASH = (
    "scrypt$706f732d7465726d696e616c2d64656d$"
    "52775f90c330a1b43b2c9be769ac332de50341a203a3d5cce4bae94600f4084e"
)


class ConfigError(Exception):
    """A config mistake: which file, which key, what is wrong and what to do about it."""

    def __init__(self, path: Path | str | None, key: str | None, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        where = ": ".join(str(part) for part in (path, key) if part)
        super().__init__(f"{where}: {problem}" if where else problem)


class TerminalKey:
    """The 32-byte MAC key. Its bytes never show in a repr, str, message or traceback."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise ValueError(f"a terminal key is {KEY_BYTES} bytes")
        self._key = key

    def reveal(self) -> bytes:
        """The key bytes, for the MAC and nothing else."""
        return self._key

    def __repr__(self) -> str:
        return "TerminalKey(<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TerminalKey):
            return NotImplemented
        return hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash((TerminalKey, self._key))

    def __reduce__(self) -> Any:
        # Pickling would write the key somewhere we did not decide to.
        raise TypeError("a TerminalKey cannot be pickled")


class PrinterKind(enum.StrEnum):
    NONE = "none"
    FILE = "file"
    SERIAL = "serial"
    NETWORK = "network"
    USB = "usb"

    @property
    def is_escpos(self) -> bool:
        """A receipt printer driven through python-escpos (the `printer` extra)."""
        return self in (PrinterKind.SERIAL, PrinterKind.NETWORK, PrinterKind.USB)


@dataclass(frozen=True)
class TerminalSettings:
    tid: str
    merchant_id: str
    key: TerminalKey
    # A salted slow hash, still kept out of reprs: nobody needs it in a log.
    supervisor_pin_hash: str = field(repr=False)
    operator_id: str = "00"
    key_file: Path | None = None


@dataclass(frozen=True)
class LinkSettings:
    port: str | None = None  # None: no port configured, the app runs in demo mode
    baud: int = 115200
    t_char_ms: int = 200
    t_ack_ms: int = 500  # the link adds the frame's own wire time
    t_resp_ms: int = 10_000


@dataclass(frozen=True)
class UiSettings:
    locale: str = "zh_CN"


@dataclass(frozen=True)
class JournalSettings:
    path: Path


@dataclass(frozen=True)
class PrinterSettings:
    kind: PrinterKind = PrinterKind.NONE
    path: Path | None = None  # file: where vouchers are appended; serial: the device
    host: str | None = None
    port: int = 9100
    vendor_id: int | None = None
    product_id: int | None = None
    width: int = 32


@dataclass(frozen=True)
class TerminalConfig:
    terminal: TerminalSettings
    link: LinkSettings
    ui: UiSettings
    journal: JournalSettings
    printer: PrinterSettings
    source: Path | None = None  # the file it came from; None for the built-in demo terminal

    @property
    def demo(self) -> bool:
        """No port configured: the app talks to its built-in simulated host."""
        return self.link.port is None


def config_path_from(cli_value: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Path | None:
    """The config file named by --config, else by $POS_TERMINAL_CONFIG, else None (demo)."""
    if cli_value:
        return Path(cli_value).expanduser()
    env_value = environ.get(CONFIG_ENV, "").strip()
    if env_value:
        return Path(env_value).expanduser()
    return None


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The platform user data dir for this app: $XDG_DATA_HOME or ~/.local/share, /pos-terminal.

    Written out rather than taken from platformdirs (installed with Textual), which gives the same
    paths today: platformdirs ignores a relative XDG_DATA_HOME only since a 2026 patch release, and
    older ones that Textual still accepts would put the journal wherever the terminal was started.
    The journal's place must not move with a transitive dependency's version, and this takes the
    environment as an argument, which the tests use."""
    environ = os.environ if environ is None else environ
    xdg = environ.get("XDG_DATA_HOME", "")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        base = Path(xdg)
    else:
        home = environ.get("HOME")
        base = (Path(home) if home else Path.home()) / ".local" / "share"
    return base / "pos-terminal"


def demo_config(data_dir: Path) -> TerminalConfig:
    """The built-in demo terminal: the simulator's demo key, PIN 123456, no port."""
    data_dir = Path(data_dir)
    return TerminalConfig(
        terminal=TerminalSettings(
            tid=DEMO_TID,
            merchant_id=DEMO_MERCHANT_ID,
            key=TerminalKey(bytes.fromhex(DEMO_KEY_HEX)),
            supervisor_pin_hash=DEMO_PIN_HASH,
            operator_id="00",
        ),
        link=LinkSettings(),
        ui=UiSettings(locale="zh_CN"),
        journal=JournalSettings(path=data_dir / "journal.sqlite"),
        printer=PrinterSettings(),
        source=None,
    )


# Known keys of each section, in the order the docs list them (also the order we name them).
_SCHEMA: dict[str, tuple[str, ...]] = {
    "terminal": ("tid", "merchant_id", "key_file", "operator_id", "supervisor_pin"),
    "link": ("port", "baud", "t_char_ms", "t_ack_ms", "t_resp_ms"),
    "ui": ("locale",),
    "journal": ("path",),
    "printer": ("kind", "path", "host", "port", "vendor_id", "product_id", "width"),
}


class _Reader:
    """Takes values out of one parsed file, checking each against the schema as it goes."""

    def __init__(self, path: Path, document: dict[str, Any]) -> None:
        self.path = path
        self.document = document

    def fail(self, key: str | None, problem: str) -> ConfigError:
        return ConfigError(self.path, key, problem)

    def check_names(self) -> None:
        for section, value in self.document.items():
            if section not in _SCHEMA:
                raise self.fail(
                    section,
                    f"unknown section [{section}]; the known sections are "
                    + ", ".join(f"[{name}]" for name in _SCHEMA)
                    + ". Remove it or fix its name.",
                )
            if not isinstance(value, dict):
                raise self.fail(section, f"must be a [{section}] table, not a single value.")
            for key in value:
                if key not in _SCHEMA[section]:
                    raise self.fail(
                        f"{section}.{key}",
                        f"unknown key; [{section}] knows "
                        + ", ".join(_SCHEMA[section])
                        + ". Remove it or fix its name.",
                    )

    def section(self, name: str) -> dict[str, Any]:
        return self.document.get(name, {})

    def get(
        self, section: str, key: str, kind: type, default: Any = None, *, required: bool = False,
        secret: bool = False,
    ) -> Any:
        """The value at [section] key, checked to be of `kind`. A `secret` value is never quoted
        in the message (a PIN typed where its hash belongs would end up in logs and screens)."""
        table = self.section(section)
        if key not in table:
            if required:
                raise self.fail(f"{section}.{key}", f"is missing; add it to the [{section}] section.")
            return default
        value = table[key]
        # TOML booleans are Python ints too; a boolean is never a valid number here.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            if secret:
                raise self.fail(
                    f"{section}.{key}",
                    f"must be {_KIND_NAMES[kind]}, and is not (what is there is not repeated, since "
                    f"it may be a PIN). {MAKE_PIN_HASH}",
                )
            raise self.fail(f"{section}.{key}", f"must be {_KIND_NAMES[kind]}, not {_describe(value)}.")
        return value

    def relative_path(self, value: str) -> Path:
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else self.path.parent / candidate


MAKE_PIN_HASH = (
    "It holds the PIN's salted hash, never the PIN: make one with "
    "`uv run python -m terminal.supervisor_pin` and paste the line it prints."
)
_KIND_NAMES = {str: "a quoted string", int: "a whole number"}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _is_printable_ascii(text: str) -> bool:
    return all(0x20 <= ord(ch) <= 0x7E for ch in text)


def _what_is_wrong(text: str) -> str:
    if not _is_printable_ascii(text):
        return "holds a character that is not printable ASCII"
    return f"is {len(text)} characters"


def load_config(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> TerminalConfig:
    """Read and check the config at `path`; ConfigError on any mistake."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            path, None, f"no such config file. Check the --config option or ${CONFIG_ENV}."
        ) from None
    except IsADirectoryError:
        raise ConfigError(path, None, "is a folder, not a config file. Name the .toml file itself.") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot be read ({exc.strerror}). Check its permissions.") from None
    import tomllib  # here: the demo terminal, with no config file, starts without it (10-15 ms)

    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path, None, f"is not UTF-8 text (bad byte at offset {exc.start}). Save it as UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)".
        raise ConfigError(path, None, f"is not valid TOML: {exc}. Fix the file there.") from None

    reader = _Reader(path, document)
    reader.check_names()
    return TerminalConfig(
        terminal=_terminal_settings(reader),
        link=_link_settings(reader),
        ui=_ui_settings(reader),
        journal=_journal_settings(reader, environ),
        printer=_printer_settings(reader),
        source=path,
    )


def _terminal_settings(reader: _Reader) -> TerminalSettings:
    tid = reader.get("terminal", "tid", str, required=True)
    if not 1 <= len(tid) <= 8 or not _is_printable_ascii(tid):
        raise reader.fail(
            "terminal.tid",
            f"{tid!r} {_what_is_wrong(tid)}; a terminal id is 1 to 8 printable ASCII "
            "characters. Use the TID your provider assigned to this terminal.",
        )
    merchant_id = reader.get("terminal", "merchant_id", str, required=True)
    if len(merchant_id) != 15 or not _is_printable_ascii(merchant_id):
        raise reader.fail(
            "terminal.merchant_id",
            f"{merchant_id!r} {_what_is_wrong(merchant_id)}; a merchant number is exactly 15 "
            "printable ASCII characters. Copy it from the merchant's contract.",
        )
    operator_id = reader.get("terminal", "operator_id", str, default="00")
    if not 1 <= len(operator_id) <= 8 or not _is_printable_ascii(operator_id):
        raise reader.fail(
            "terminal.operator_id",
            f"{operator_id!r} is not 1 to 8 printable ASCII characters. Use e.g. \"00\".",
        )
    pin_hash = reader.get("terminal", "supervisor_pin", str, required=True, secret=True)
    try:
        parse_pin_hash(pin_hash)
    except PinHashError as exc:
        raise reader.fail(
            "terminal.supervisor_pin",
            f"is not a PIN hash ({exc}). {MAKE_PIN_HASH}",
        ) from None
    key_file = reader.relative_path(reader.get("terminal", "key_file", str, required=True))
    return TerminalSettings(
        tid=tid,
        merchant_id=merchant_id,
        key=_read_key(reader.path, key_file),
        supervisor_pin_hash=pin_hash,
        operator_id=operator_id,
        key_file=key_file,
    )


def _read_key(config_path: Path, key_file: Path) -> TerminalKey:
    """The key from its file, refused unless only the owner can read it.

    No local variable here holds key material when an error is raised, so even a traceback
    that shows locals (Textual's does) cannot leak it.
    """
    key_name = "terminal.key_file"
    if _looks_like_key(key_file.name):
        # The key itself pasted where its file's name belongs: never repeat it back.
        raise ConfigError(
            config_path, key_name, "holds what looks like the key itself, not a file name. Put the "
            "key (64 hex digits) in a file readable only by you (chmod 600) and name that file here.",
        )
    try:
        fd = os.open(key_file, os.O_RDONLY)
    except FileNotFoundError:
        raise ConfigError(
            config_path, key_name, f"the key file {key_file} does not exist. Put the terminal's "
            "key there (64 hex digits) or fix the path; a relative path is relative to the config file.",
        ) from None
    except OSError as exc:
        raise ConfigError(
            config_path, key_name, f"the key file {key_file} cannot be opened ({exc.strerror})."
        ) from None
    with os.fdopen(fd, "rb") as handle:
        # fstat on the open file: the mode we check is the mode of the file we read.
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(config_path, key_name, f"{key_file} is not a regular file.")
        if info.st_mode & 0o077:
            raise ConfigError(
                config_path,
                key_name,
                f"the key file {key_file} can be read or changed by other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o}). Run `chmod 600 {key_file}` and start again.",
            )
        key = _parse_key_text(handle.read(4096))
    if key is None:
        raise ConfigError(
            config_path,
            key_name,
            f"the key file {key_file} must hold exactly 64 hexadecimal digits (the 32-byte key), "
            "optionally followed by a newline. Ask your provider for the key.",
        )
    return key


def _looks_like_key(name: str) -> bool:
    hex_digits = sum(c in "0123456789abcdefABCDEF" for c in name)
    return hex_digits >= KEY_BYTES  # half a key's digits is already too much to print


def _parse_key_text(content: bytes) -> TerminalKey | None:
    text = content.strip()
    if len(text) != 2 * KEY_BYTES or not all(c in b"0123456789abcdefABCDEF" for c in text):
        return None
    return TerminalKey(bytes.fromhex(text.decode("ascii")))


def _link_settings(reader: _Reader) -> LinkSettings:
    port = reader.get("link", "port", str, default="").strip() or None
    baud = reader.get("link", "baud", int, default=115200)
    try:
        check_line_speed(baud)
    except ValueError as problem:
        raise reader.fail("link.baud", f"{problem}.") from None
    timers = {}
    for key, default in (("t_char_ms", 200), ("t_ack_ms", 500), ("t_resp_ms", 10_000)):
        value = reader.get("link", key, int, default=default)
        if not 1 <= value <= 600_000:
            raise reader.fail(
                f"link.{key}", f"{value} ms is out of range; use 1 to 600000 (default {default})."
            )
        timers[key] = value
    return LinkSettings(port=port, baud=baud, **timers)


def _ui_settings(reader: _Reader) -> UiSettings:
    locale = reader.get("ui", "locale", str, default="zh_CN")
    if locale not in LOCALES:
        raise reader.fail("ui.locale", f"{locale!r} is not offered; use \"zh_CN\" or \"en\".")
    return UiSettings(locale=locale)


def _journal_settings(reader: _Reader, environ: Mapping[str, str] | None) -> JournalSettings:
    value = reader.get("journal", "path", str, default="").strip()
    if value:
        path = reader.relative_path(value)
        if not path.parent.is_dir():
            # A mistyped folder would otherwise get a new, empty journal: no history, no vouchers
            # to reprint, and the open cancellations of the real one never settled.
            raise reader.fail(
                "journal.path",
                f"the folder {path.parent} does not exist. Correct the path, or create the folder "
                f"(mkdir -p {path.parent}) if this terminal is to start a new journal there.",
            )
        return JournalSettings(path=path)
    return JournalSettings(path=default_data_dir(environ) / "journal.sqlite")


def _printer_settings(reader: _Reader) -> PrinterSettings:
    kind_name = reader.get("printer", "kind", str, default="none")
    try:
        kind = PrinterKind(kind_name)
    except ValueError:
        raise reader.fail(
            "printer.kind",
            f"{kind_name!r} is not a printer kind; use one of "
            + ", ".join(f'"{k.value}"' for k in PrinterKind) + ".",
        ) from None
    width = reader.get("printer", "width", int, default=32)
    if width not in PAPER_WIDTHS:
        raise reader.fail(
            "printer.width",
            f"{width} columns is not a supported paper width; use 32, 42 or 48 "
            "(58 mm paper is usually 32, 80 mm paper 42 or 48).",
        )
    path_value = reader.get("printer", "path", str, default="").strip()
    host = reader.get("printer", "host", str, default="").strip() or None
    port = reader.get("printer", "port", int, default=9100)
    if not 1 <= port <= 65535:
        raise reader.fail("printer.port", f"{port} is not a TCP port; use 1 to 65535 (usually 9100).")
    vendor_id = reader.get("printer", "vendor_id", int)
    product_id = reader.get("printer", "product_id", int)
    for key, value in (("vendor_id", vendor_id), ("product_id", product_id)):
        if value is not None and not 0 <= value <= 0xFFFF:
            raise reader.fail(f"printer.{key}", f"{value} is not a USB id; use 0x0000 to 0xFFFF.")

    path: Path | None = None
    if kind is PrinterKind.FILE:
        if not path_value:
            raise reader.fail("printer.path", 'is missing; kind = "file" needs the file to append vouchers to.')
        path = reader.relative_path(path_value)
    elif kind is PrinterKind.SERIAL:
        if not path_value:
            raise reader.fail("printer.path", 'is missing; kind = "serial" needs the device, e.g. "/dev/ttyUSB1".')
        path = Path(path_value)  # a device path: not relative to the config file
    elif kind is PrinterKind.NETWORK and host is None:
        raise reader.fail("printer.host", 'is missing; kind = "network" needs the printer\'s address.')
    elif kind is PrinterKind.USB and (vendor_id is None or product_id is None):
        missing = "printer.vendor_id" if vendor_id is None else "printer.product_id"
        raise reader.fail(missing, 'is missing; kind = "usb" needs vendor_id and product_id (see `lsusb`).')
    return PrinterSettings(
        kind=kind,
        path=path,
        host=host,
        port=port,
        vendor_id=vendor_id,
        product_id=product_id,
        width=width,
    )
