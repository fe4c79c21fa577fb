"""The real `pos-terminal` process in a 40x16 pty, driven by keypad keys through a whole
cancellation against the real simulated host over a pty cable; the cancellation number is read
off the screen and found on the host.

The terminal process reads the machine's clock (it decides on screen whether an appointment can
still be cancelled), so the host's clock is fixed at the instant the test starts and the
appointments are placed around it: the test means the same on any date."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path

from tests.simulated_host import FREE, MovableClock, data_around, simulated_host
from tests.support.pty_session import PtySession, clean_env, painted_text
from tests.terminal.test_cli import write_config

POS_TERMINAL = str(Path(sys.executable).parent / "pos-terminal")


def test_a_whole_cancellation_by_keypad_at_40x16(tmp_path):
    now = datetime.now().replace(microsecond=0)
    with simulated_host(tmp_path, data=data_around(now), clock=MovableClock(now)) as rig:
        config = write_config(tmp_path, rig.terminal_port, t_resp_ms=3000)
        env = clean_env(tmp_path / "home")
        with PtySession([POS_TERMINAL, "--config", str(config)], env, columns=40, rows=16) as app:
            app.wait_for("取消预约", timeout=30)
            app.press("1", "主管密码")
            for digit in "123456":
                app.press(digit, "•")
            app.press("enter", "1 取消预约")
            app.press("1", "号码正确")
            app.press("enter", "预约列表", timeout=30)
            app.press("4", "取消费用")  # the fourth listed, earliest first, is the free one
            app.press("enter", "为什么取消")
            app.press("2", "确认取消")
            before = len(app.output)
            app.press("enter", "预约已取消", timeout=30)
            app.drain(quiet=0.3)
            result_screen = painted_text(bytes(app.output[before:]))
            app.quit()
        with rig.host_store() as store:
            [done] = store.cancellations()
        assert done.appt_id == FREE
        # The number as the result screen painted it, read back from the terminal's output.
        shown = re.findall(r"[A-Z0-9]{10}", re.sub(r"[\s┃┏┓┗┛━]", " ", result_screen))
        assert done.cancel_ref in shown
