"""Every text the screens show, in Chinese (zh_CN, the default) and English, keyed by message id;
and dates and durations as each locale writes them. Money is terminal.voucher.format_money."""

from __future__ import annotations

from datetime import datetime

from protocol.enums import Status

def N_(key: str) -> str:
    """Marks a message id that is translated later (t() is called with it elsewhere)."""
    return key


DEFAULT_LOCALE = "zh_CN"

MESSAGES: dict[str, dict[str, str]] = {
    # -- the frame
    "training.banner": {
        "zh_CN": "培训模式 TRAINING：练习用，不是真实取消",
        "en": "TRAINING 培训模式: practice only",
    },
    # -- key hints (each at most 12 cells with its key name)
    "key.back": {"zh_CN": "返回", "en": "Back"},
    "key.cancel": {"zh_CN": "取消", "en": "Cancel"},
    "key.clear": {"zh_CN": "清除", "en": "Clear"},
    "key.confirm": {"zh_CN": "确认", "en": "OK"},
    "key.done": {"zh_CN": "完成", "en": "Done"},
    "key.up": {"zh_CN": "向上", "en": "Up"},
    "key.down": {"zh_CN": "向下", "en": "Down"},
    "key.next": {"zh_CN": "继续", "en": "Next"},
    "key.previous_page": {"zh_CN": "上一页", "en": "Prev page"},
    "key.next_page": {"zh_CN": "下一页", "en": "Next page"},
    "key.open": {"zh_CN": "查看", "en": "Open"},
    "key.refresh": {"zh_CN": "刷新", "en": "Reload"},
    "key.reprint": {"zh_CN": "重印", "en": "Reprint"},
    "key.retry": {"zh_CN": "重试", "en": "Retry"},
    "key.settle": {"zh_CN": "查询结果", "en": "Check now"},
    "key.link_test": {"zh_CN": "链路测试", "en": "Link test"},
    # -- labels of fields
    "field.when": {"zh_CN": "时间", "en": "When"},
    "field.service": {"zh_CN": "服务", "en": "Service"},
    "field.address": {"zh_CN": "地址", "en": "Address"},
    "field.status": {"zh_CN": "状态", "en": "Status"},
    "field.appointment": {"zh_CN": "预约", "en": "Appointment"},
    "field.reason": {"zh_CN": "原因", "en": "Reason"},
    "field.fee": {"zh_CN": "费用", "en": "Fee"},
    "field.fee_charged": {"zh_CN": "手续费", "en": "Fee charged"},
    "field.fee_accepted": {"zh_CN": "同意费用", "en": "Fee agreed"},
    "field.host_time": {"zh_CN": "主机时间", "en": "Host time"},
    "field.request_id": {"zh_CN": "请求号", "en": "Request id"},
    "field.state": {"zh_CN": "结果", "en": "Outcome"},
    "field.attempted": {"zh_CN": "发起时间", "en": "Attempted"},
    "field.host_message": {"zh_CN": "主机说明", "en": "Host says"},
    # -- appointment status (docs/protocol.md, tag 0x15)
    "status.booked": {"zh_CN": "已预约", "en": "Booked"},
    "status.in_progress": {"zh_CN": "服务进行中", "en": "In progress"},
    "status.completed": {"zh_CN": "已完成", "en": "Completed"},
    "status.cancelled": {"zh_CN": "已取消", "en": "Cancelled"},
    # -- what cancelling costs
    "terms.short.free": {"zh_CN": "免费", "en": "free"},
    "terms.short.too_late": {"zh_CN": "不可取消", "en": "too late"},
    "terms.short.in_progress": {"zh_CN": "进行中", "en": "in progress"},
    "terms.free_until": {
        "zh_CN": "现在取消免费（{when} 前免费）。",
        "en": "Free to cancel now: free until {when}.",
    },
    "terms.fee_after": {
        "zh_CN": "{when} 以后取消要收费。",
        "en": "After {when} cancelling costs a fee.",
    },
    "terms.fee_now": {
        "zh_CN": "现在取消收费 {fee}。",
        "en": "Cancelling now costs {fee}.",
    },
    "terms.not_after": {
        "zh_CN": "{when} 以后不能取消。",
        "en": "It cannot be cancelled after {when}.",
    },
    "terms.too_late": {
        "zh_CN": "不能取消：取消截止时间 {when} 已过。",
        "en": "It cannot be cancelled: the deadline, {when}, has passed.",
    },
    "terms.in_progress": {
        "zh_CN": "不能取消：服务已经开始。",
        "en": "It cannot be cancelled: the visit has started.",
    },
    # -- the plugin's own menu
    "home.title": {"zh_CN": "取消预约", "en": "Cancel appointment"},
    "home.cancel": {"zh_CN": "取消预约", "en": "Cancel an appointment"},
    "home.history": {"zh_CN": "取消记录（凭证、重印）", "en": "History (vouchers, reprint)"},
    "home.technician": {"zh_CN": "技术员：线路与链路测试", "en": "Technician: link and link test"},
    "home.pending": {
        "zh_CN": "有 {count} 笔取消的结果尚未确认，见取消记录。",
        "en": "{count} cancellation(s) not yet confirmed: see History.",
    },
    # -- supervisor PIN
    "pin.title": {"zh_CN": "主管密码", "en": "Supervisor PIN"},
    "pin.prompt": {"zh_CN": "请输入 {length} 位主管密码", "en": "Enter the {length}-digit supervisor PIN"},
    "pin.too_short": {"zh_CN": "密码是 {length} 位数字", "en": "The PIN has {length} digits"},
    "pin.checking": {"zh_CN": "正在核对…", "en": "Checking…"},
    "pin.wrong": {
        "zh_CN": "密码错误，还可以再试 {tries} 次",
        "en": "Wrong PIN: {tries} tries left",
    },
    "pin.locked": {
        "zh_CN": "输错 5 次，已锁定。请 {time} 后再试。",
        "en": "5 wrong tries: locked. Try again in {time}.",
    },
    "pin.unlocked": {"zh_CN": "已解锁，请重新输入", "en": "Unlocked: enter the PIN again"},
    "pin.error": {
        "zh_CN": "无法核对密码（{error}），请联系技术支持",
        "en": "The PIN could not be checked ({error}); call support",
    },
    # -- merchant and terminal
    "merchant.title": {"zh_CN": "确认商户", "en": "Check the shop"},
    "merchant.merchant_id": {"zh_CN": "商户号", "en": "Merchant no."},
    "merchant.tid": {"zh_CN": "终端号", "en": "Terminal no."},
    "merchant.check": {
        "zh_CN": "号码正确请按 Enter，终端将向主机查询预约。",
        "en": "If these are right, press Enter: the terminal asks the host for the appointments.",
    },
    # -- waiting for the host
    "waiting.title": {"zh_CN": "请稍候", "en": "Please wait"},
    "waiting.list": {"zh_CN": "正在向主机查询预约…", "en": "Asking the host for the appointments…"},
    "waiting.cancel": {"zh_CN": "正在向主机发送取消…", "en": "Sending the cancellation to the host…"},
    "waiting.elapsed": {"zh_CN": "已等待 {seconds} 秒", "en": "{seconds} s"},
    "waiting.sending": {"zh_CN": "正在发送", "en": "Sending"},
    "waiting.sent": {"zh_CN": "主机已收到，等待答复", "en": "The host has it: waiting for the answer"},
    "waiting.confirming": {
        "zh_CN": "没有收到答复，正在向主机确认结果",
        "en": "No answer: asking the host how it ended",
    },
    # -- appointment list
    "list.title": {"zh_CN": "预约列表", "en": "Appointments"},
    "list.title_page": {"zh_CN": "预约列表 {page}/{pages}", "en": "Appointments {page}/{pages}"},
    "list.summary": {"zh_CN": "共 {total} 个，按数字键选择", "en": "{total} in all: press a digit"},
    "list.host_message": {"zh_CN": "主机说明：{message}", "en": "Host says: {message}"},
    "empty.title": {"zh_CN": "没有预约", "en": "No appointments"},
    "empty.what": {
        "zh_CN": "本商户现在没有可以取消的预约。",
        "en": "This shop has no appointment that could be cancelled.",
    },
    "empty.todo": {
        "zh_CN": "刚预约的服务可能稍后才显示，可按 Enter 刷新。",
        "en": "A visit booked just now may show later: press Enter to ask again.",
    },
    # -- when the host cannot be asked
    "problem.detail": {"zh_CN": "详情：{detail}", "en": "Detail: {detail}"},
    "problem.link.title": {"zh_CN": "联系不上主机", "en": "Cannot reach the host"},
    "problem.link.what": {
        "zh_CN": "终端联系不上主机，没有收到预约。",
        "en": "The terminal could not reach the host; no appointments came.",
    },
    "problem.link.todo": {
        "zh_CN": "请检查通讯线是否插好，然后按 Enter 重试。仍不行请联系技术员。",
        "en": "Check that the cable is plugged in, then press Enter to try again. If it still fails, call a technician.",
    },
    "problem.busy.title": {"zh_CN": "主机忙", "en": "The host is busy"},
    "problem.busy.what": {"zh_CN": "主机正忙，暂时不能答复。", "en": "The host is busy and cannot answer now."},
    "problem.busy.todo": {
        "zh_CN": "请等一分钟，然后按 Enter 重试。",
        "en": "Wait a minute, then press Enter to try again.",
    },
    "problem.not_authorised.title": {"zh_CN": "终端未获授权", "en": "Terminal not authorised"},
    "problem.not_authorised.what": {
        "zh_CN": "主机说终端 {tid} 没有绑定商户 {merchant}。",
        "en": "The host says terminal {tid} is not bound to merchant {merchant}.",
    },
    "problem.not_authorised.todo": {
        "zh_CN": "请联系服务商开通，然后按 Enter 重试。",
        "en": "Ask the provider to bind it, then press Enter to try again.",
    },
    "problem.refused.title": {"zh_CN": "主机拒绝了请求", "en": "The host refused"},
    "problem.refused.what": {
        "zh_CN": "主机拒绝了终端的请求（{code}）。",
        "en": "The host refused the terminal's request ({code}).",
    },
    "problem.refused.todo": {
        "zh_CN": "终端的密钥或设置可能有误，请联系技术支持。",
        "en": "The terminal's key or setup may be wrong: call support.",
    },
    "problem.terminal.title": {"zh_CN": "终端出错", "en": "Terminal error"},
    "problem.terminal.what": {
        "zh_CN": "终端出错，请求没有完成。",
        "en": "The terminal failed; the request did not complete.",
    },
    "problem.terminal.todo": {
        "zh_CN": "可按 Enter 重试；仍不行请联系技术支持。",
        "en": "Press Enter to try again; if it still fails, call support.",
    },
    # -- one appointment
    "details.title": {"zh_CN": "预约详情", "en": "Appointment"},
    "details.cost": {"zh_CN": "取消费用", "en": "Cancelling costs"},
    "reason.title": {"zh_CN": "取消原因", "en": "Reason"},
    "reason.prompt": {"zh_CN": "为什么取消？按数字键选择", "en": "Why cancel? Press a digit"},
    "confirm.title": {"zh_CN": "确认取消", "en": "Confirm"},
    "confirm.title_new_fee": {"zh_CN": "费用已变化", "en": "The fee changed"},
    "confirm.prompt": {"zh_CN": "确认取消这个预约？", "en": "Cancel this appointment?"},
    "confirm.free": {"zh_CN": "免费（{money}）", "en": "free ({money})"},
    "confirm.hint": {
        "zh_CN": "按 Enter 取消预约，按 Esc 返回修改。",
        "en": "Enter cancels the appointment; Esc goes back.",
    },
    "confirm.hint_new_fee": {
        "zh_CN": "同意新费用并取消请按 Enter，不同意请按 Esc。",
        "en": "Enter accepts the new fee and cancels; Esc does not.",
    },
    "confirm.fee_changed": {
        "zh_CN": "主机上的费用已变为 {fee}（原为 {earlier}），预约没有取消。",
        "en": "The host's fee is now {fee} (was {earlier}); nothing was cancelled.",
    },
    # -- how it ended
    "result.cancelled.title": {"zh_CN": "取消成功", "en": "Cancelled"},
    "result.cancelled.headline": {"zh_CN": "预约已取消", "en": "The appointment is cancelled"},
    "result.cancel_ref": {"zh_CN": "取消编号", "en": "Cancellation no."},
    "result.voucher.printing": {"zh_CN": "正在打印凭证…", "en": "Printing the voucher…"},
    "result.voucher.printed": {"zh_CN": "凭证已打印", "en": "Voucher printed"},
    "result.voucher.kept": {
        "zh_CN": "凭证已保存，可在取消记录中重印",
        "en": "Voucher kept: reprint it from History",
    },
    "result.voucher.print_failed": {
        "zh_CN": "凭证没有打印（{error}）。凭证已保存，可在取消记录中重印。",
        "en": "The voucher was not printed ({error}). It is kept: reprint it from History.",
    },
    "result.unknown.title": {"zh_CN": "结果待确认", "en": "Not yet confirmed"},
    "result.unknown.headline": {"zh_CN": "取消结果尚未确认", "en": "The outcome is not yet confirmed"},
    "result.unknown.what": {
        "zh_CN": "没有收到主机的答复。终端会继续向主机查询，请不要重复取消。",
        "en": "No answer came from the host. The terminal keeps asking the host; do not cancel again.",
    },
    "result.unknown.asking": {
        "zh_CN": "正在查询（第 {number}/{rounds} 次）…",
        "en": "Asking the host ({number} of {rounds})…",
    },
    "result.unknown.later": {
        "zh_CN": "暂时没有确认。终端会在下次开机时再查询，也可在取消记录中按 2 查询。",
        "en": "Not confirmed yet. The terminal asks again at the next start, or press 2 in History.",
    },
    "result.unknown.todo": {
        "zh_CN": "可以按 Enter 离开，结果确认后会显示在取消记录中。",
        "en": "You may press Enter to leave: History shows the outcome once confirmed.",
    },
    "result.failed.title": {"zh_CN": "没有发出", "en": "Not sent"},
    "result.failed.what": {
        "zh_CN": "终端联系不上主机，取消请求没有发出，预约没有取消。",
        "en": "The terminal could not reach the host: the cancellation was not sent, nothing was cancelled.",
    },
    "result.failed.todo": {
        "zh_CN": "请检查通讯线，然后按 Enter 重试；按 Esc 返回列表。",
        "en": "Check the cable, then press Enter to try again; Esc goes back to the list.",
    },
    "result.host_says": {"zh_CN": "主机说明：{message}", "en": "Host says: {message}"},
    "refused.not_found.title": {"zh_CN": "没有找到预约", "en": "Appointment not found"},
    "refused.not_found.what": {
        "zh_CN": "主机上没有这个预约（或不属于本商户），没有取消任何预约。",
        "en": "The host has no such appointment for this shop; nothing was cancelled.",
    },
    "refused.not_found.todo": {
        "zh_CN": "请按 Enter 刷新列表后核对；如有疑问请联系服务商。",
        "en": "Press Enter to reload the list and check; ask the provider if in doubt.",
    },
    "refused.already.title": {"zh_CN": "已经取消过", "en": "Already cancelled"},
    "refused.already.what": {
        "zh_CN": "这个预约之前已经取消了，这次没有再取消，也没有收费。",
        "en": "This appointment was cancelled earlier; nothing more was cancelled or charged.",
    },
    "refused.already.todo": {
        "zh_CN": "不需要再做什么。需要之前的凭证请联系服务商。",
        "en": "Nothing more to do. Ask the provider for the earlier voucher if needed.",
    },
    "refused.too_late.title": {"zh_CN": "已经太晚", "en": "Too late"},
    "refused.too_late.what": {
        "zh_CN": "已经不能取消：取消截止时间已过，或服务已经开始。预约没有取消。",
        "en": "It can no longer be cancelled: the deadline has passed or the visit has started. Nothing was cancelled.",
    },
    "refused.too_late.todo": {
        "zh_CN": "如需改期，请直接联系服务商。",
        "en": "To change the visit, call the provider.",
    },
    "refused.not_authorised.title": {"zh_CN": "终端未获授权", "en": "Terminal not authorised"},
    "refused.not_authorised.what": {
        "zh_CN": "主机说本终端没有绑定这个商户，预约没有取消。",
        "en": "The host says this terminal is not bound to the shop; nothing was cancelled.",
    },
    "refused.not_authorised.todo": {
        "zh_CN": "请联系服务商开通本终端。",
        "en": "Ask the provider to bind this terminal.",
    },
    "refused.busy.title": {"zh_CN": "主机忙", "en": "The host is busy"},
    "refused.busy.what": {
        "zh_CN": "主机正忙，预约没有取消。",
        "en": "The host is busy; nothing was cancelled.",
    },
    "refused.busy.todo": {
        "zh_CN": "请等一分钟，然后按 Enter 重试。",
        "en": "Wait a minute, then press Enter to try again.",
    },
    "refused.never_received.title": {"zh_CN": "主机没有收到", "en": "Not received"},
    "refused.never_received.what": {
        "zh_CN": "主机没有收到这次取消，预约没有取消。",
        "en": "The host never received this cancellation; nothing was cancelled.",
    },
    "refused.never_received.todo": {
        "zh_CN": "可以按 Enter 重试。",
        "en": "Press Enter to try again.",
    },
    "refused.fee_changed.title": {"zh_CN": "费用已变化", "en": "The fee changed"},
    "refused.fee_changed.what": {
        "zh_CN": "主机上的费用已变为 {fee}，预约没有取消。",
        "en": "The host's fee is now {fee}; nothing was cancelled.",
    },
    "refused.fee_changed.todo": {
        "zh_CN": "按 Enter 返回确认新的费用。",
        "en": "Press Enter to go back and accept the new fee.",
    },
    "refused.error.title": {"zh_CN": "主机拒绝了请求", "en": "The host refused"},
    "refused.error.what": {
        "zh_CN": "主机拒绝了请求（{code}），预约没有取消。",
        "en": "The host refused the request ({code}); nothing was cancelled.",
    },
    "refused.error.todo": {
        "zh_CN": "终端的密钥或设置可能有误，请联系技术支持；也可按 Enter 重试。",
        "en": "The terminal's key or setup may be wrong: call support, or press Enter to try again.",
    },
    # -- history and vouchers
    "state.cancelled": {"zh_CN": "已取消", "en": "Cancelled"},
    "state.refused": {"zh_CN": "未取消", "en": "Not cancelled"},
    "state.pending": {"zh_CN": "待确认", "en": "Not confirmed"},
    "result_short.not_found": {"zh_CN": "没有找到", "en": "not found"},
    "result_short.already_cancelled": {"zh_CN": "已被取消", "en": "already cancelled"},
    "result_short.too_late": {"zh_CN": "太晚", "en": "too late"},
    "result_short.fee_changed": {"zh_CN": "费用变化", "en": "fee changed"},
    "result_short.not_authorised": {"zh_CN": "未授权", "en": "not authorised"},
    "result_short.never_received": {"zh_CN": "主机未收到", "en": "never received"},
    "result_short.busy": {"zh_CN": "主机忙", "en": "host busy"},
    "result_short.error": {"zh_CN": "错误 {code}", "en": "error {code}"},
    "history.title": {"zh_CN": "取消记录", "en": "History"},
    "history.summary": {"zh_CN": "共 {count} 笔，最新的在前", "en": "{count} in all, newest first"},
    "history.empty": {"zh_CN": "还没有取消记录", "en": "No cancellations yet"},
    "journal.problem": {
        "zh_CN": "取消记录文件无法读取，请联系技术员。{error}",
        "en": "The terminal's journal cannot be read; call a technician. {error}",
    },
    "history.no_voucher": {
        "zh_CN": "这一笔没有取消成功，没有凭证",
        "en": "This one was not cancelled: it has no voucher",
    },
    "history.no_printer": {
        "zh_CN": "没有连接打印机，凭证显示在上面",
        "en": "No printer: the voucher is shown above",
    },
    "history.printing": {"zh_CN": "正在重印…", "en": "Reprinting…"},
    "history.printed": {"zh_CN": "凭证已重印", "en": "Voucher reprinted"},
    "history.print_failed": {"zh_CN": "没有打印：{error}", "en": "Not printed: {error}"},
    "history.settling": {"zh_CN": "正在向主机查询结果…", "en": "Asking the host…"},
    "history.settled": {"zh_CN": "已确认：{state}", "en": "Confirmed: {state}"},
    "history.still_pending": {
        "zh_CN": "主机还没有答复，结果仍待确认，请稍后再查",
        "en": "No answer yet: still not confirmed, try again later",
    },
    "history.settle_failed": {
        "zh_CN": "联系不上主机（{error}），请稍后再查",
        "en": "Cannot reach the host ({error}): try again later",
    },
    "history.already_settled": {"zh_CN": "已确认：{state}，不需要查询", "en": "Already confirmed: {state}"},
    "voucher.title": {"zh_CN": "取消凭证", "en": "Voucher"},
    "voucher.title_attempt": {"zh_CN": "取消记录", "en": "Cancellation"},
    "voucher.refused": {
        "zh_CN": "没有取消（{why}），没有凭证。",
        "en": "Not cancelled ({why}): there is no voucher.",
    },
    "voucher.pending": {
        "zh_CN": "结果尚未确认：按 2 向主机查询。",
        "en": "Not yet confirmed: press 2 to ask the host.",
    },
    # -- technician
    "tech.title": {"zh_CN": "技术员", "en": "Technician"},
    "tech.link": {"zh_CN": "线路", "en": "Line"},
    "tech.port": {"zh_CN": "端口", "en": "Port"},
    "tech.baud": {"zh_CN": "波特率", "en": "Baud"},
    "tech.test": {"zh_CN": "链路测试（ECHO）", "en": "Link test (ECHO)"},
    "tech.test_hint": {"zh_CN": "按 1 测试", "en": "Press 1 to test"},
    "tech.testing": {"zh_CN": "正在测试…", "en": "Testing…"},
    "tech.test_ok": {
        "zh_CN": "正常：往返 {ms} ms，主机时间 {host_time}",
        "en": "OK: round trip {ms} ms, host time {host_time}",
    },
    "tech.test_failed": {"zh_CN": "失败：{error}", "en": "Failed: {error}"},
    "tech.counters": {"zh_CN": "计数", "en": "Counters"},
    "tech.counter.frames_in": {"zh_CN": "收到帧", "en": "Frames in"},
    "tech.counter.frames_out": {"zh_CN": "发出帧", "en": "Frames out"},
    "tech.counter.acks_in": {"zh_CN": "收到 ACK", "en": "ACKs in"},
    "tech.counter.acks_out": {"zh_CN": "发出 ACK", "en": "ACKs out"},
    "tech.counter.naks_in": {"zh_CN": "收到 NAK", "en": "NAKs in"},
    "tech.counter.naks_out": {"zh_CN": "发出 NAK", "en": "NAKs out"},
    "tech.counter.resends": {"zh_CN": "重发", "en": "Resends"},
    "tech.counter.noise_bytes": {"zh_CN": "噪声字节", "en": "Noise bytes"},
    "tech.counter.bad_frames": {"zh_CN": "坏帧", "en": "Bad frames"},
    "tech.counter.abandoned_frames": {"zh_CN": "放弃的帧", "en": "Abandoned"},
    "tech.counter.duplicates": {"zh_CN": "重复帧", "en": "Duplicates"},
    "tech.counter.send_failures": {"zh_CN": "发送失败", "en": "Send failures"},
    "tech.trace": {"zh_CN": "最近的帧", "en": "Last frames"},
    "tech.no_trace": {"zh_CN": "（还没有）", "en": "(none yet)"},
}

_STATUS_KEYS = {
    Status.BOOKED: N_("status.booked"),
    Status.IN_PROGRESS: N_("status.in_progress"),
    Status.COMPLETED: N_("status.completed"),
    Status.CANCELLED: N_("status.cancelled"),
}

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def t(key: str, locale: str, **fmt: object) -> str:
    """The text of message `key` in `locale` (zh_CN when the locale is not offered)."""
    texts = MESSAGES[key]
    text = texts.get(locale) or texts[DEFAULT_LOCALE]
    return text.format(**fmt) if fmt else text


def status_name(status: Status, locale: str) -> str:
    key = _STATUS_KEYS.get(status)
    return t(key, locale) if key else str(int(status))


def day_time(when: datetime, locale: str) -> str:
    """11月28日 10:00 / 28 Nov 10:00"""
    if locale == "en":
        return f"{when.day} {_MONTHS_EN[when.month - 1]} {when:%H:%M}"
    return f"{when.month}月{when.day}日 {when:%H:%M}"


def date_time(when: datetime, locale: str) -> str:
    """2026年11月28日 10:00 / 28 Nov 2026 10:00"""
    if locale == "en":
        return f"{when.day} {_MONTHS_EN[when.month - 1]} {when.year} {when:%H:%M}"
    return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"


def full_time(when: datetime, locale: str) -> str:
    """With seconds: 2026年11月28日 10:00:03 / 28 Nov 2026 10:00:03"""
    if locale == "en":
        return f"{when.day} {_MONTHS_EN[when.month - 1]} {when.year} {when:%H:%M:%S}"
    return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M:%S}"


def duration(seconds: int, locale: str) -> str:
    """4分30秒 / 4 min 30 s"""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    if locale == "en":
        return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"
