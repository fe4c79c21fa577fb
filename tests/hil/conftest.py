"""The line the hil scenarios run on, one of three kinds:

- no --hil-port: a `pos-sim cable` process (paced at 9600, 115200 and 921600 baud in turn) with a
  `pos-sim host` process on its far end: what CI runs every time;
- --hil-port and --hil-host-port: two real adapters joined by a null-modem cable, `pos-sim host`
  started by the suite on the second;
- --hil-port alone: a real provider host on the line; read-only scenarios only, unless
  --hil-allow-cancel.

The terminal side is always the real HostClient on a SerialLine. One line (and one host) serves
all the scenarios of a kind, each scenario with its own appointments, and one journal serves them
all, as one terminal has one: REQUEST_IDs are numbered by the journal, and a host answers a
REQUEST_ID it has seen with the response it stored. Against a provider host the journal is the
terminal's own (--hil-config) or one kept between runs, for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from protocol import Service, Status, Timers
from simulator.data import ServiceAppointment, SimulatorData, Terminal
from terminal.client import HostClient
from terminal.config import default_data_dir, load_config
from terminal.journal import Journal
from terminal.transport import SerialLine
from tests.hil.sim_processes import SimCable, SimProcess, sim_cable, sim_host
from tests.material import KEY, MERCHANT_ID, TID

PTY_BAUDS = (9600, 115200, 921600)
NOW = datetime(2026, 11, 27, 9, 30)


def _booked(appt_id: str, hours_ahead: float, *, late_fee: int = 3000, service: Service = Service.INSTALLATION,
            status: Status = Status.BOOKED) -> ServiceAppointment:
    at = NOW + timedelta(hours=hours_ahead)
    return ServiceAppointment(appt_id, MERCHANT_ID, at, service, status, "Unit 7", late_fee,
                              at - timedelta(hours=24), at - timedelta(hours=2))


# One appointment per scenario that cancels, so the scenarios never see each other's doings.
# Short addresses keep a LIST_RESP near 500 bytes: half a second on the line at 9600 baud.
APPOINTMENTS = {
    "cancel": _booked("HIL-CANCEL", 48),
    "lost": _booked("HIL-LOST", 50, service=Service.REPAIR),
    "unplug": _booked("HIL-UNPLUG", 52, service=Service.TRAINING),
    "fee": _booked("HIL-FEE", 12, late_fee=5000),
    "late": _booked("HIL-LATE", 1),
}
HIL_DATA = SimulatorData((Terminal(TID, MERCHANT_ID, KEY),), tuple(APPOINTMENTS.values()), "tests/hil")


@dataclass(frozen=True)
class Identity:
    tid: str
    merchant_id: str
    key: bytes = field(repr=False)


@dataclass
class HilLine:
    """The line under test and what may be done on it."""

    kind: str  # "pty", "ports + pos-sim host", "ports + provider host"
    terminal_port: str
    baud: int
    identity: Identity
    folder: Path
    can_cancel: bool
    host: SimProcess | None = None  # None: a provider's host, not ours
    cable: SimCable | None = None  # only for ptys
    host_port: str | None = None
    cable_links: tuple[Path, Path] | None = None
    journal_path: Path | None = None

    def __post_init__(self) -> None:
        if self.journal_path is None:
            self.journal_path = self.folder / "journal.sqlite"

    @property
    def own_host(self) -> bool:
        return self.host is not None

    def timers(self, **changes: float) -> Timers:
        # T_ACK gets the frame's wire time added by the link; T_RESP is generous for a real host.
        settings = {"t_char": 0.2, "t_ack": 0.5, "t_resp": 5.0, **changes}
        return Timers(**settings)

    def client(self, journal: Journal, **timer_changes: float) -> HostClient:
        return HostClient(
            tid=self.identity.tid,
            merchant_id=self.identity.merchant_id,
            operator_id="00",
            key=self.identity.key,
            line=SerialLine(self.terminal_port, self.baud),
            journal=journal,
            timers=self.timers(**timer_changes),
            baud=self.baud,
            settle_backoff=(0.2,),
        )

    def start_host(self) -> None:
        assert self.host_port is not None
        self.host = sim_host(self.host_port, self.folder, baud=self.baud, data=HIL_DATA, now=NOW,
                             trace=self.folder / "host.trace").start()

    def unplug(self) -> None:
        """Pull the line: on ptys the cable (both ends vanish); on real ports the host's end goes
        dead (its program stops), as when its cable is pulled."""
        if self.cable is not None:
            self.cable.stop()
        elif self.host is not None:
            self.host.stop()
        else:
            pytest.skip("unplugging needs the suite's own host (--hil-host-port) or the pty cable")

    def replug(self) -> None:
        if self.cable is not None:
            assert self.cable_links is not None
            self.cable = sim_cable(self.folder, baud=self.baud, link_a=self.cable_links[0], link_b=self.cable_links[1],
                                   name="cable-again").start()
        else:
            self.start_host()

    def stop(self) -> None:
        if self.host is not None:
            self.host.stop()
        if self.cable is not None:
            self.cable.stop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "hil" not in metafunc.fixturenames:
        return
    if metafunc.config.getoption("--hil-port"):
        baud = metafunc.config.getoption("--hil-baud")
        kind = "ports + pos-sim host" if metafunc.config.getoption("--hil-host-port") else "ports + provider host"
        metafunc.parametrize("hil", [(kind, baud)], indirect=True, scope="session", ids=[f"{kind}-{baud}"])
    else:
        metafunc.parametrize("hil", [("pty", b) for b in PTY_BAUDS], indirect=True, scope="session",
                             ids=[f"pty-{b}" for b in PTY_BAUDS])


@pytest.fixture(scope="session")
def hil(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    kind, baud = request.param
    config = request.config
    folder = tmp_path_factory.mktemp(f"hil-{kind.split()[0]}-{baud}")
    vectors = Identity(TID, MERCHANT_ID, KEY)
    if kind == "pty":
        links = (folder / "terminal-end", folder / "host-end")
        cable = sim_cable(folder, baud=baud, link_a=links[0], link_b=links[1]).start()
        line = HilLine(kind, str(links[0]), baud, vectors, folder, can_cancel=True, cable=cable,
                       host_port=str(links[1]), cable_links=links)
        line.start_host()
    elif kind == "ports + pos-sim host":
        line = HilLine(kind, config.getoption("--hil-port"), baud, vectors, folder, can_cancel=True,
                       host_port=config.getoption("--hil-host-port"))
        line.start_host()
    else:
        identity, journal_path = vectors, default_data_dir() / f"hil-{vectors.tid}.sqlite"
        if config.getoption("--hil-config"):
            terminal_config = load_config(config.getoption("--hil-config"))
            terminal = terminal_config.terminal
            identity = Identity(terminal.tid, terminal.merchant_id, terminal.key.reveal())
            journal_path = terminal_config.journal.path
        line = HilLine(kind, config.getoption("--hil-port"), baud, identity, folder,
                       can_cancel=config.getoption("--hil-allow-cancel"), journal_path=journal_path)
    try:
        yield line
    finally:
        line.stop()
