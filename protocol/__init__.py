"""Sans-I/O implementation of the host link protocol, version 1 (docs/protocol.md).

Bytes in, events out; events in, bytes out. Nothing here touches a port, a clock, a thread or a
database: callers pass the time as `now`.

Each module says in its own `__all__` which of its names the package exports, so the public
names are listed once, beside their definitions.
"""

from protocol import connection, enums, errors, link, messages, states
from protocol.connection import *  # noqa: F403
from protocol.enums import *  # noqa: F403
from protocol.errors import *  # noqa: F403
from protocol.link import *  # noqa: F403
from protocol.messages import *  # noqa: F403
from protocol.states import *  # noqa: F403

__all__ = [
    *connection.__all__, *enums.__all__, *errors.__all__, *link.__all__, *messages.__all__, *states.__all__
]
