"""Every word a merchant meets, in each language the terminal speaks (zh_CN, the default, and
en), keyed by message id; the protocol's names (results, services, reasons, statuses) in those
words; and money, dates and durations as each language writes them. The shell's menu, the screens
and the voucher take all their words from here; pos-terminal's commands, which speak English to a
technician, take from here the names, result words, cancel terms and formats they share with the
screens, and keep their own sentences (terminal/commands.py).

It imports nothing of the project: the shell paints its menu with it before the protocol is
loaded, and pos-sim may use it too."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from protocol.enums import Reason, Result, Service, Status

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
PAPER_WIDTHS = (32, 42, 48)  # the receipt papers a voucher is laid out for

# The yuan's ISO 4217 number, as protocol.enums.CURRENCY_CNY (not imported: see above).
_YUAN = "156"
_CURRENCY_SYMBOLS = {_YUAN: "¥"}


def N_(key: str) -> str:
    """Marks a message id that is translated later (t() is called with it elsewhere)."""
    return key


# One table a language, each with every message id (tests/terminal/test_catalogue.py holds them
# to it).
TEXTS: dict[str, dict[str, str]] = {
    "zh_CN": {
        # -- the shell's menu (before any plugin)
        "shell.title": "POS 终端",
        "shell.terminal": "终端 {tid}",
        "shell.choose": "按数字键选择功能",
        "shell.none": "没有安装任何功能",
        "shell.training": "培训模式 TRAINING：练习用，不是真实交易",
        "shell.failed": "{name} 无法打开：{error}",
        "shell.broken": "功能 {name} 无法加载，请联系技术员：{problem}",
        # -- the frame
        "training.banner": "培训模式 TRAINING：练习用，不是真实取消",
        # -- key hints (each at most 12 cells with its key name)
        "key.back": "返回",
        "key.cancel": "取消",
        "key.clear": "清除",
        "key.confirm": "确认",
        "key.done": "完成",
        "key.up": "向上",
        "key.down": "向下",
        "key.next": "继续",
        "key.previous_page": "上一页",
        "key.next_page": "下一页",
        "key.open": "查看",
        "key.refresh": "刷新",
        "key.reprint": "重印",
        "key.retry": "重试",
        "key.settle": "查询结果",
        "key.link_test": "链路测试",
        # -- labels of fields
        "field.when": "时间",
        "field.service": "服务",
        "field.address": "地址",
        "field.status": "状态",
        "field.appointment": "预约",
        "field.reason": "原因",
        "field.fee": "费用",
        "field.fee_charged": "手续费",
        "field.fee_accepted": "同意费用",
        "field.host_time": "主机时间",
        "field.request_id": "请求号",
        "field.state": "结果",
        "field.attempted": "发起时间",
        "field.host_message": "主机说明",
        # -- the values of the fields STATUS, SERVICE and REASON (docs/protocol.md, tags 0x15, 0x13, 0x20)
        "STATUS.BOOKED": "已预约",
        "STATUS.IN_PROGRESS": "服务进行中",
        "STATUS.COMPLETED": "已完成",
        "STATUS.CANCELLED": "已取消",
        "SERVICE.INSTALLATION": "安装",
        "SERVICE.REPAIR": "维修",
        "SERVICE.TRAINING": "培训",
        "SERVICE.REPLACEMENT": "更换",
        "SERVICE.REMOVAL": "拆机",
        "REASON.NO_LONGER_NEEDED": "不再需要",
        "REASON.WILL_REBOOK": "将重新预约",
        "REASON.CHOSE_ANOTHER_PROVIDER": "已选择其他服务商",
        "REASON.BUSINESS_CLOSED": "停业",
        "REASON.OTHER": "其他",
        # -- what cancelling costs
        "terms.short.free": "免费",
        "terms.short.too_late": "不可取消",
        "terms.short.in_progress": "进行中",
        "terms.short.completed": "已完成",
        "terms.short.cancelled": "已取消",
        "terms.free_until": "现在取消免费（{when} 前免费）。",
        "terms.fee_after": "{when} 以后取消要收费。",
        "terms.fee_now": "现在取消收费 {fee}。",
        "terms.not_after": "{when} 以后不能取消。",
        "terms.too_late": "不能取消：取消截止时间 {when} 已过。",
        "terms.in_progress": "不能取消：服务已经开始。",
        "terms.completed": "不能取消：服务已经完成。",
        "terms.cancelled": "不能取消：预约已经取消。",
        # -- the plugin's own menu
        "home.title": "取消预约",
        "home.cancel": "取消预约",
        "home.history": "取消记录（凭证、重印）",
        "home.technician": "技术员：线路与链路测试",
        "home.pending": "有 {count} 笔取消的结果尚未确认，见取消记录。",
        # -- supervisor PIN
        "pin.title": "主管密码",
        "pin.prompt": "请输入 {length} 位主管密码",
        "pin.too_short": "密码是 {length} 位数字",
        "pin.checking": "正在核对…",
        "pin.wrong": "密码错误，还可以再试 {tries} 次",
        "pin.locked": "输错 5 次，已锁定。请 {time} 后再试。",
        "pin.unlocked": "已解锁，请重新输入",
        "pin.error": "无法核对密码（{error}），请联系技术支持",
        # -- merchant and terminal
        "merchant.title": "确认商户",
        "merchant.merchant_id": "商户号",
        "merchant.tid": "终端号",
        "merchant.check": "号码正确请按 Enter，终端将向主机查询预约。",
        # -- waiting for the host
        "waiting.title": "请稍候",
        "waiting.list": "正在向主机查询预约…",
        "waiting.cancel": "正在向主机发送取消…",
        "waiting.elapsed": "已等待 {seconds} 秒",
        "waiting.sending": "正在发送",
        "waiting.sent": "主机已收到，等待答复",
        "waiting.confirming": "没有收到答复，正在向主机确认结果",
        # -- appointment list
        "list.title": "预约列表",
        "list.title_page": "预约列表 {page}/{pages}",
        "list.summary": "共 {total} 个，按数字键选择",
        "list.host_message": "主机说明：{message}",
        "empty.title": "没有预约",
        "empty.what": "本商户现在没有可以取消的预约。",
        "empty.todo": "刚预约的服务可能稍后才显示，可按 Enter 刷新。",
        # -- when the host cannot be asked
        "problem.detail": "详情：{detail}",
        "problem.link.title": "联系不上主机",
        "problem.link.what": "终端联系不上主机，没有收到预约。",
        "problem.link.todo": "请检查通讯线是否插好，然后按 Enter 重试。仍不行请联系技术员。",
        "problem.terminal.title": "终端出错",
        "problem.terminal.what": "终端出错，请求没有完成。",
        "problem.terminal.todo": "可按 Enter 重试；仍不行请联系技术支持。",
        # -- why the line failed (terminal/failure_words.py): command_line for pos-terminal (which
        #    speaks English), todo for the screens; a failure not named here is said as above
        "link.port_held.command_line": (
            "{port} 被另一个程序占用{holders}，终端打不开它，什么也没有发出。请关闭或停止那个程序，"
            "再运行同一个命令（fuser -v {port} 可列出占用端口的程序）"
        ),
        "link.port_held.todo": "终端的串口被另一个程序占用{holders}。请联系技术员关闭它，然后按 Enter 重试。",
        "link.dead_line.command_line": (
            "完全没有回应：发送 3 次，主机一个字节也没有回（没有 ACK，也没有 NAK）。请检查通讯线两端"
            "是否插好、--port（或配置的 [link] port）是否就是接线的端口，以及主机是否在运行；"
            "若主机一侧看到的只是乱码（主机的 --trace 里有 NOISE），则是线路干扰把请求毁了，请检查通讯线和两端的速率"
        ),
        "link.dead_line.todo": "主机完全没有回应。请检查通讯线两端是否插好，然后按 Enter 重试。仍不行请联系技术员。",
        "link.noisy_line.command_line": (
            "线路有干扰：请求或答复都没有完整通过，收到的是乱码（NAK：{naks}，噪声字节：{noise}，"
            "坏帧：{bad_frames}，不完整的帧：{incomplete}）。请检查通讯线（插紧、没有损坏、不要太长），"
            "以及两端的波特率是否相同（配置的 [link] baud）"
        ),
        "link.noisy_line.todo": (
            "线路有干扰，请求或答复没有完整通过。请检查通讯线是否插紧，然后按 Enter 重试。"
            "仍不行请联系技术员：通讯线或波特率可能有问题。"
        ),
        "link.no_answer.command_line": (
            "主机收到了请求（ACK），但之后什么也没有回，没有按时答复（T_RESP）。请再运行一次；如果经常这样，"
            "主机负载过重或出了故障，请告知服务商"
        ),
        "link.answer_not_verified.command_line": (
            "收到了答复，但都无法用本终端的密钥验证：密钥或终端号与主机的不一致。请按服务商为本终端提供的资料"
            "核对配置中的 tid（{tid}）和 key_file"
        ),
        "link.answer_not_verified.todo": "请联系技术员：需要重新设置终端的密钥或终端号。",
        # -- one appointment
        "details.title": "预约详情",
        "details.cost": "取消费用",
        "reason.title": "取消原因",
        "reason.prompt": "为什么取消？按数字键选择",
        "confirm.title": "确认取消",
        "confirm.title_new_fee": "费用已变化",
        "confirm.prompt": "确认取消这个预约？",
        "confirm.free": "免费（{money}）",
        "confirm.hint": "按 Enter 取消预约，按 Esc 返回修改。",
        "confirm.hint_new_fee": "同意新费用并取消请按 Enter，不同意请按 Esc。",
        "confirm.fee_changed": "主机上的费用已变为 {fee}（原为 {earlier}），预约没有取消。",
        # -- how it ended
        "result.cancelled.title": "取消成功",
        "result.cancelled.headline": "预约已取消",
        "result.cancel_ref": "取消编号",
        "result.voucher.printing": "正在打印凭证…",
        "result.voucher.printed": "凭证已打印",
        "result.voucher.kept": "凭证已保存，可在取消记录中重印",
        "result.voucher.print_failed": "凭证没有打印（{error}）。凭证已保存，可在取消记录中重印。",
        "result.unknown.title": "结果待确认",
        "result.unknown.headline": "取消结果尚未确认",
        "result.unknown.what": "没有收到主机的答复。终端会继续向主机查询，请不要重复取消。",
        "result.unknown.asking": "正在查询（第 {number}/{rounds} 次）…",
        "result.unknown.later": "暂时没有确认。终端会在下次开机时再查询，也可在取消记录中按 2 查询。",
        "result.unknown.todo": "可以按 Enter 离开，结果确认后会显示在取消记录中。",
        "result.failed.title": "没有发出",
        "result.failed.what": "终端联系不上主机，取消请求没有发出，预约没有取消。",
        "result.failed.todo": "请检查通讯线，然后按 Enter 重试；按 Esc 返回列表。",
        "result.host_says": "主机说明：{message}",
        # -- what the host's RESULT means, as RESULT.NAME.form (result_text()): a result not
        #    named here, or a form not given for it, is said as OTHER's. The forms: short, a word or
        #    two; title, what, todo, for the answer to a cancellation; problem_title, problem_what,
        #    problem_todo, for the answer to a listing; command_line, pos-terminal's (which speaks
        #    English) for a refused cancellation; command_todo, pos-terminal's for any other request
        #    the host answered with ERROR
        "RESULT.NOT_FOUND.short": "没有找到",
        "RESULT.NOT_FOUND.title": "没有找到预约",
        "RESULT.NOT_FOUND.what": "主机上没有这个预约（或不属于本商户），没有取消任何预约。",
        "RESULT.NOT_FOUND.todo": "请按 Enter 刷新列表后核对；如有疑问请联系服务商。",
        "RESULT.NOT_FOUND.command_line": "主机上没有本商户的这个预约",
        "RESULT.ALREADY_CANCELLED.short": "已被取消",
        "RESULT.ALREADY_CANCELLED.title": "已经取消过",
        "RESULT.ALREADY_CANCELLED.what": "这个预约之前已经取消了，这次没有再取消，也没有收费。",
        "RESULT.ALREADY_CANCELLED.todo": "不需要再做什么。需要之前的凭证请联系服务商。",
        "RESULT.ALREADY_CANCELLED.command_line": "这个预约之前已经取消了",
        "RESULT.TOO_LATE.short": "太晚",
        "RESULT.TOO_LATE.title": "已经太晚",
        "RESULT.TOO_LATE.what": "已经不能取消：取消截止时间已过，或服务已经开始。预约没有取消。",
        "RESULT.TOO_LATE.todo": "如需改期，请直接联系服务商。",
        "RESULT.TOO_LATE.command_line": "已经太晚，不能取消（取消截止时间已过，或服务已经开始）",
        "RESULT.FEE_CHANGED.short": "费用变化",
        "RESULT.FEE_CHANGED.title": "费用已变化",
        "RESULT.FEE_CHANGED.what": "主机上的费用已变为 {fee}，预约没有取消。",
        "RESULT.FEE_CHANGED.todo": "按 Enter 返回确认新的费用。",
        "RESULT.NOT_AUTHORISED.short": "未授权",
        "RESULT.NOT_AUTHORISED.title": "终端未获授权",
        "RESULT.NOT_AUTHORISED.what": "主机说本终端没有绑定这个商户，预约没有取消。",
        "RESULT.NOT_AUTHORISED.todo": "请联系服务商开通本终端。",
        "RESULT.NOT_AUTHORISED.problem_title": "终端未获授权",
        "RESULT.NOT_AUTHORISED.problem_what": "主机说终端 {tid} 没有绑定商户 {merchant}。",
        "RESULT.NOT_AUTHORISED.problem_todo": "请联系服务商开通，然后按 Enter 重试。",
        "RESULT.NOT_AUTHORISED.command_line": "本终端没有绑定这个商户，请联系服务商",
        "RESULT.UNKNOWN_REQUEST.short": "主机未收到",
        "RESULT.UNKNOWN_REQUEST.title": "主机没有收到",
        "RESULT.UNKNOWN_REQUEST.what": "主机没有收到这次取消，预约没有取消。",
        "RESULT.UNKNOWN_REQUEST.todo": "可以按 Enter 重试。",
        "RESULT.UNKNOWN_REQUEST.command_line": "主机没有收到这次取消，预约没有取消",
        "RESULT.BUSY.short": "主机忙",
        "RESULT.BUSY.title": "主机忙",
        "RESULT.BUSY.what": "主机正忙，预约没有取消。",
        "RESULT.BUSY.todo": "请等一分钟，然后按 Enter 重试。",
        "RESULT.BUSY.problem_title": "主机忙",
        "RESULT.BUSY.problem_what": "主机正忙，暂时不能答复。",
        "RESULT.BUSY.problem_todo": "请等一分钟，然后按 Enter 重试。",
        "RESULT.BUSY.command_line": "主机正忙，什么也没有做；请等一分钟，再运行同一个命令",
        "RESULT.BUSY.command_todo": "主机正忙，什么也没有做。请等一分钟，再运行同一个命令。",
        # BAD_MAC: the terminal's key (or TID) is not the one the host has for it
        "RESULT.BAD_MAC.short": "密钥不符",
        "RESULT.BAD_MAC.title": "密钥不符",
        "RESULT.BAD_MAC.what": "主机无法验证本终端的请求：终端的密钥与主机的不一致。预约没有取消。",
        "RESULT.BAD_MAC.todo": "请联系技术员：需要重新设置终端的密钥或终端号。",
        "RESULT.BAD_MAC.problem_title": "密钥不符",
        "RESULT.BAD_MAC.problem_what": "主机无法验证终端 {tid}：它的密钥与主机的不一致。",
        "RESULT.BAD_MAC.problem_todo": "请联系技术员：需要重新设置终端的密钥或终端号。",
        "RESULT.BAD_MAC.command_line": (
            "主机无法验证本终端的请求（BAD_MAC）：密钥或终端号与主机的不一致；请按服务商为本终端提供的资料"
            "核对配置中的 tid（{tid}）和 key_file"
        ),
        "RESULT.BAD_MAC.command_todo": (
            "终端的密钥或终端号与主机的不一致，主机什么也没有做。请按服务商为本终端提供的资料核对配置中的 "
            "tid（{tid}）和 key_file；重新运行命令没有用。"
        ),
        # BAD_FORMAT, BAD_VERSION, UNKNOWN_TERMINAL: the terminal's setup, not the merchant's
        "RESULT.OTHER.short": "错误 {code}",
        "RESULT.OTHER.title": "主机拒绝了请求",
        "RESULT.OTHER.what": "主机拒绝了请求（{code}），预约没有取消。",
        "RESULT.OTHER.todo": "终端的密钥或设置可能有误，请联系技术支持；也可按 Enter 重试。",
        "RESULT.OTHER.problem_title": "主机拒绝了请求",
        "RESULT.OTHER.problem_what": "主机拒绝了终端的请求（{code}）。",
        "RESULT.OTHER.problem_todo": "终端的密钥或设置可能有误，请联系技术支持。",
        "RESULT.OTHER.command_line": "{code}",
        "RESULT.OTHER.command_todo": "什么也没有做，请稍后再试。",
        # -- history and vouchers
        "state.cancelled": "已取消",
        "state.refused": "未取消",
        "state.pending": "待确认",
        "history.title": "取消记录",
        "history.summary": "共 {count} 笔，最新的在前",
        "history.empty": "还没有取消记录",
        "journal.problem": "取消记录文件无法读取，请联系技术员。{error}",
        "history.no_voucher": "这一笔没有取消成功，没有凭证",
        "history.no_printer": "没有连接打印机，凭证显示在上面",
        "history.printing": "正在重印…",
        "history.printed": "凭证已重印",
        "history.print_failed": "没有打印：{error}",
        "history.settling": "正在向主机查询结果…",
        "history.settled": "已确认：{state}",
        "history.still_pending": "主机还没有答复，结果仍待确认，请稍后再查",
        "history.settle_failed": "联系不上主机（{error}），请稍后再查",
        "history.already_settled": "已确认：{state}，不需要查询",
        "voucher.title": "取消凭证",
        "voucher.title_attempt": "取消记录",
        "voucher.refused": "没有取消（{why}），没有凭证。",
        "voucher.pending": "结果尚未确认：按 2 向主机查询。",
        # -- the voucher on paper. Only wide (W) or narrow characters, never East Asian
        #    "ambiguous" ones such as "·", whose width differs between printers.
        "paper.title": "取消预约凭证",
        "paper.reprint": "*** 重印 ***",
        "paper.training": "*** 培训模式 非正式凭证 ***",
        "paper.merchant": "商户号",
        "paper.terminal": "终端号",
        "paper.operator": "操作员",
        "paper.appointment": "预约号",
        "paper.scheduled": "预约时间",
        "paper.service": "服务",
        "paper.address": "地址",
        "paper.reason": "取消原因",
        "paper.fee": "手续费",
        "paper.cancel_ref": "取消编号",
        "paper.host_time": "主机时间",
        "paper.request": "请求号",
        "paper.keep": "请妥善保管本凭证",
        # -- technician
        "tech.title": "技术员",
        "tech.link": "线路",
        "tech.port": "端口",
        "tech.baud": "波特率",
        "tech.test": "链路测试（ECHO）",
        "tech.test_hint": "按 1 测试",
        "tech.testing": "正在测试…",
        "tech.test_ok": "正常：往返 {ms} ms，主机时间 {host_time}",
        "tech.test_failed": "失败：{error}",
        "tech.counters": "计数",
        "tech.counter.frames_in": "收到帧",
        "tech.counter.frames_out": "发出帧",
        "tech.counter.acks_in": "收到 ACK",
        "tech.counter.acks_out": "发出 ACK",
        "tech.counter.naks_in": "收到 NAK",
        "tech.counter.naks_out": "发出 NAK",
        "tech.counter.resends": "重发",
        "tech.counter.noise_bytes": "噪声字节",
        "tech.counter.bad_frames": "坏帧",
        "tech.counter.abandoned_frames": "放弃的帧",
        "tech.counter.duplicates": "重复帧",
        "tech.counter.send_failures": "发送失败",
        "tech.trace": "最近的帧",
        "tech.no_trace": "（还没有）",
    },
    "en": {
        # -- the shell's menu (before any plugin)
        "shell.title": "POS terminal",
        "shell.terminal": "Terminal {tid}",
        "shell.choose": "Press a digit to choose",
        "shell.none": "No function is installed",
        "shell.training": "TRAINING 培训模式: practice only",
        "shell.failed": "{name} could not open: {error}",
        "shell.broken": "Function {name} could not be loaded; call a technician: {problem}",
        # -- the frame
        "training.banner": "TRAINING 培训模式: practice only",
        # -- key hints (each at most 12 cells with its key name)
        "key.back": "Back",
        "key.cancel": "Cancel",
        "key.clear": "Clear",
        "key.confirm": "OK",
        "key.done": "Done",
        "key.up": "Up",
        "key.down": "Down",
        "key.next": "Next",
        "key.previous_page": "Prev page",
        "key.next_page": "Next page",
        "key.open": "Open",
        "key.refresh": "Reload",
        "key.reprint": "Reprint",
        "key.retry": "Retry",
        "key.settle": "Check now",
        "key.link_test": "Link test",
        # -- labels of fields
        "field.when": "When",
        "field.service": "Service",
        "field.address": "Address",
        "field.status": "Status",
        "field.appointment": "Appointment",
        "field.reason": "Reason",
        "field.fee": "Fee",
        "field.fee_charged": "Fee charged",
        "field.fee_accepted": "Fee agreed",
        "field.host_time": "Host time",
        "field.request_id": "Request id",
        "field.state": "Outcome",
        "field.attempted": "Attempted",
        "field.host_message": "Host says",
        # -- the values of the fields STATUS, SERVICE and REASON (docs/protocol.md, tags 0x15, 0x13, 0x20)
        "STATUS.BOOKED": "Booked",
        "STATUS.IN_PROGRESS": "In progress",
        "STATUS.COMPLETED": "Completed",
        "STATUS.CANCELLED": "Cancelled",
        "SERVICE.INSTALLATION": "Installation",
        "SERVICE.REPAIR": "Repair",
        "SERVICE.TRAINING": "Training",
        "SERVICE.REPLACEMENT": "Replacement",
        "SERVICE.REMOVAL": "Removal",
        "REASON.NO_LONGER_NEEDED": "No longer needed",
        "REASON.WILL_REBOOK": "Will rebook",
        "REASON.CHOSE_ANOTHER_PROVIDER": "Chose another provider",
        "REASON.BUSINESS_CLOSED": "Business closed",
        "REASON.OTHER": "Other",
        # -- what cancelling costs
        "terms.short.free": "free",
        "terms.short.too_late": "too late",
        "terms.short.in_progress": "in progress",
        "terms.short.completed": "completed",
        "terms.short.cancelled": "cancelled",
        "terms.free_until": "Free to cancel now: free until {when}.",
        "terms.fee_after": "After {when} cancelling costs a fee.",
        "terms.fee_now": "Cancelling now costs {fee}.",
        "terms.not_after": "It cannot be cancelled after {when}.",
        "terms.too_late": "It cannot be cancelled: the deadline, {when}, has passed.",
        "terms.in_progress": "It cannot be cancelled: the visit has started.",
        "terms.completed": "It cannot be cancelled: the visit is over.",
        "terms.cancelled": "It cannot be cancelled: it is cancelled already.",
        # -- the plugin's own menu
        "home.title": "Cancel appointment",
        "home.cancel": "Cancel an appointment",
        "home.history": "History (vouchers, reprint)",
        "home.technician": "Technician: link and link test",
        "home.pending": "{count} cancellation(s) not yet confirmed: see History.",
        # -- supervisor PIN
        "pin.title": "Supervisor PIN",
        "pin.prompt": "Enter the {length}-digit supervisor PIN",
        "pin.too_short": "The PIN has {length} digits",
        "pin.checking": "Checking…",
        "pin.wrong": "Wrong PIN: {tries} tries left",
        "pin.locked": "5 wrong tries: locked. Try again in {time}.",
        "pin.unlocked": "Unlocked: enter the PIN again",
        "pin.error": "The PIN could not be checked ({error}); call support",
        # -- merchant and terminal
        "merchant.title": "Check the shop",
        "merchant.merchant_id": "Merchant no.",
        "merchant.tid": "Terminal no.",
        "merchant.check": "If these are right, press Enter: the terminal asks the host for the appointments.",
        # -- waiting for the host
        "waiting.title": "Please wait",
        "waiting.list": "Asking the host for the appointments…",
        "waiting.cancel": "Sending the cancellation to the host…",
        "waiting.elapsed": "{seconds} s",
        "waiting.sending": "Sending",
        "waiting.sent": "The host has it: waiting for the answer",
        "waiting.confirming": "No answer: asking the host how it ended",
        # -- appointment list
        "list.title": "Appointments",
        "list.title_page": "Appointments {page}/{pages}",
        "list.summary": "{total} in all: press a digit",
        "list.host_message": "Host says: {message}",
        "empty.title": "No appointments",
        "empty.what": "This shop has no appointment that could be cancelled.",
        "empty.todo": "A visit booked just now may show later: press Enter to ask again.",
        # -- when the host cannot be asked
        "problem.detail": "Detail: {detail}",
        "problem.link.title": "Cannot reach the host",
        "problem.link.what": "The terminal could not reach the host; no appointments came.",
        "problem.link.todo": (
            "Check that the cable is plugged in, then press Enter to try again. If it still fails, call a technician."
        ),
        "problem.terminal.title": "Terminal error",
        "problem.terminal.what": "The terminal failed; the request did not complete.",
        "problem.terminal.todo": "Press Enter to try again; if it still fails, call support.",
        # -- why the line failed (see zh_CN)
        "link.port_held.command_line": (
            "{port} is held by another program{holders}, so the terminal cannot open it; nothing was sent. "
            "Close or stop that program, then run the same command again (fuser -v {port} lists who holds a port)"
        ),
        "link.port_held.todo": (
            "Another program is using the terminal's serial port{holders}. Call a technician to close it, "
            "then press Enter to try again."
        ),
        "link.dead_line.command_line": (
            "no answer at all: not one byte came back from the host in 3 sends (no ACK, no NAK). Check that "
            "the cable is plugged in at both ends, that --port (or [link] port in the config) is the port the "
            "cable is on, and that the host is running; if the host's side saw only garbage (NOISE in its "
            "--trace), the line is so noisy that no request reached it whole: check the cable and that both "
            "ends run at the same speed"
        ),
        "link.dead_line.todo": (
            "Nothing at all came back from the host. Check that the cable is plugged in at both ends, then "
            "press Enter to try again. If it still fails, call a technician."
        ),
        "link.noisy_line.command_line": (
            "the line is noisy: neither the request nor an answer got through whole, and what came back was "
            "garbled (NAKs: {naks}, noise bytes: {noise}, bad frames: {bad_frames}, incomplete frames: "
            "{incomplete}). Check the cable (plugged in firmly, undamaged, not too long) and that both ends run at "
            "the same speed ([link] baud in the config)"
        ),
        "link.noisy_line.todo": (
            "The line is noisy: the request or its answer did not get through whole. Check that the cable is "
            "plugged in firmly, then press Enter to try again. If it still fails, call a technician: the cable "
            "or the line's speed may be wrong."
        ),
        "link.no_answer.command_line": (
            "the host took the request (ACK), then sent nothing more within T_RESP. Run the command again; if "
            "it keeps happening, the host is overloaded or stuck: tell the provider"
        ),
        "link.answer_not_verified.command_line": (
            "answers came, but none verified with this terminal's key: the key or TID does not match the "
            "host's. Check tid ({tid}) and key_file in the terminal's config against what the provider "
            "provisioned for this terminal"
        ),
        "link.answer_not_verified.todo": "Call a technician: the terminal's key or terminal number must be set up again.",
        # -- one appointment
        "details.title": "Appointment",
        "details.cost": "Cancelling costs",
        "reason.title": "Reason",
        "reason.prompt": "Why cancel? Press a digit",
        "confirm.title": "Confirm",
        "confirm.title_new_fee": "The fee changed",
        "confirm.prompt": "Cancel this appointment?",
        "confirm.free": "free ({money})",
        "confirm.hint": "Enter cancels the appointment; Esc goes back.",
        "confirm.hint_new_fee": "Enter accepts the new fee and cancels; Esc does not.",
        "confirm.fee_changed": "The host's fee is now {fee} (was {earlier}); nothing was cancelled.",
        # -- how it ended
        "result.cancelled.title": "Cancelled",
        "result.cancelled.headline": "The appointment is cancelled",
        "result.cancel_ref": "Cancellation no.",
        "result.voucher.printing": "Printing the voucher…",
        "result.voucher.printed": "Voucher printed",
        "result.voucher.kept": "Voucher kept: reprint it from History",
        "result.voucher.print_failed": "The voucher was not printed ({error}). It is kept: reprint it from History.",
        "result.unknown.title": "Not yet confirmed",
        "result.unknown.headline": "The outcome is not yet confirmed",
        "result.unknown.what": "No answer came from the host. The terminal keeps asking the host; do not cancel again.",
        "result.unknown.asking": "Asking the host ({number} of {rounds})…",
        "result.unknown.later": "Not confirmed yet. The terminal asks again at the next start, or press 2 in History.",
        "result.unknown.todo": "You may press Enter to leave: History shows the outcome once confirmed.",
        "result.failed.title": "Not sent",
        "result.failed.what": (
            "The terminal could not reach the host: the cancellation was not sent, nothing was cancelled."
        ),
        "result.failed.todo": "Check the cable, then press Enter to try again; Esc goes back to the list.",
        "result.host_says": "Host says: {message}",
        # -- what the host's RESULT means (the forms: see zh_CN)
        "RESULT.NOT_FOUND.short": "not found",
        "RESULT.NOT_FOUND.title": "Appointment not found",
        "RESULT.NOT_FOUND.what": "The host has no such appointment for this shop; nothing was cancelled.",
        "RESULT.NOT_FOUND.todo": "Press Enter to reload the list and check; ask the provider if in doubt.",
        "RESULT.NOT_FOUND.command_line": "the host has no such appointment for this merchant",
        "RESULT.ALREADY_CANCELLED.short": "already cancelled",
        "RESULT.ALREADY_CANCELLED.title": "Already cancelled",
        "RESULT.ALREADY_CANCELLED.what": (
            "This appointment was cancelled earlier; nothing more was cancelled or charged."
        ),
        "RESULT.ALREADY_CANCELLED.todo": "Nothing more to do. Ask the provider for the earlier voucher if needed.",
        "RESULT.ALREADY_CANCELLED.command_line": "the appointment was already cancelled earlier",
        "RESULT.TOO_LATE.short": "too late",
        "RESULT.TOO_LATE.title": "Too late",
        "RESULT.TOO_LATE.what": (
            "It can no longer be cancelled: the deadline has passed or the visit has started. Nothing was cancelled."
        ),
        "RESULT.TOO_LATE.todo": "To change the visit, call the provider.",
        "RESULT.TOO_LATE.command_line": "too late to cancel (past the deadline, or the visit has started)",
        "RESULT.FEE_CHANGED.short": "fee changed",
        "RESULT.FEE_CHANGED.title": "The fee changed",
        "RESULT.FEE_CHANGED.what": "The host's fee is now {fee}; nothing was cancelled.",
        "RESULT.FEE_CHANGED.todo": "Press Enter to go back and accept the new fee.",
        "RESULT.NOT_AUTHORISED.short": "not authorised",
        "RESULT.NOT_AUTHORISED.title": "Terminal not authorised",
        "RESULT.NOT_AUTHORISED.what": (
            "The host says this terminal is not bound to the shop; nothing was cancelled."
        ),
        "RESULT.NOT_AUTHORISED.todo": "Ask the provider to bind this terminal.",
        "RESULT.NOT_AUTHORISED.problem_title": "Terminal not authorised",
        "RESULT.NOT_AUTHORISED.problem_what": "The host says terminal {tid} is not bound to merchant {merchant}.",
        "RESULT.NOT_AUTHORISED.problem_todo": "Ask the provider to bind it, then press Enter to try again.",
        "RESULT.NOT_AUTHORISED.command_line": "this terminal is not bound to the merchant; call the provider",
        "RESULT.UNKNOWN_REQUEST.short": "never received",
        "RESULT.UNKNOWN_REQUEST.title": "Not received",
        "RESULT.UNKNOWN_REQUEST.what": "The host never received this cancellation; nothing was cancelled.",
        "RESULT.UNKNOWN_REQUEST.todo": "Press Enter to try again.",
        "RESULT.UNKNOWN_REQUEST.command_line": "the host never received the cancellation; nothing was cancelled",
        "RESULT.BUSY.short": "host busy",
        "RESULT.BUSY.title": "The host is busy",
        "RESULT.BUSY.what": "The host is busy; nothing was cancelled.",
        "RESULT.BUSY.todo": "Wait a minute, then press Enter to try again.",
        "RESULT.BUSY.problem_title": "The host is busy",
        "RESULT.BUSY.problem_what": "The host is busy and cannot answer now.",
        "RESULT.BUSY.problem_todo": "Wait a minute, then press Enter to try again.",
        "RESULT.BUSY.command_line": "the host was busy and did nothing; wait a minute, then run the same command again",
        "RESULT.BUSY.command_todo": "The host is busy and did nothing; wait a minute, then run the same command again.",
        "RESULT.BAD_MAC.short": "wrong key",
        "RESULT.BAD_MAC.title": "Wrong key",
        "RESULT.BAD_MAC.what": (
            "The host could not verify this terminal's request: the terminal's key does not match the host's. "
            "Nothing was cancelled."
        ),
        "RESULT.BAD_MAC.todo": "Call a technician: the terminal's key or terminal number must be set up again.",
        "RESULT.BAD_MAC.problem_title": "Wrong key",
        "RESULT.BAD_MAC.problem_what": "The host could not verify terminal {tid}: its key does not match the host's.",
        "RESULT.BAD_MAC.problem_todo": "Call a technician: the terminal's key or terminal number must be set up again.",
        "RESULT.BAD_MAC.command_line": (
            "the host could not verify this terminal's request (BAD_MAC): the key or TID does not match the "
            "host's; check tid ({tid}) and key_file in the terminal's config against what the provider "
            "provisioned for this terminal"
        ),
        "RESULT.BAD_MAC.command_todo": (
            "The terminal's key or TID does not match the host's, so the host did nothing. Check tid ({tid}) "
            "and key_file in the terminal's config against what the provider provisioned for this terminal; "
            "running the command again will not help."
        ),
        "RESULT.OTHER.short": "error {code}",
        "RESULT.OTHER.title": "The host refused",
        "RESULT.OTHER.what": "The host refused the request ({code}); nothing was cancelled.",
        "RESULT.OTHER.todo": (
            "The terminal's key or setup may be wrong: call support, or press Enter to try again."
        ),
        "RESULT.OTHER.problem_title": "The host refused",
        "RESULT.OTHER.problem_what": "The host refused the terminal's request ({code}).",
        "RESULT.OTHER.problem_todo": "The terminal's key or setup may be wrong: call support.",
        "RESULT.OTHER.command_line": "{code}",
        "RESULT.OTHER.command_todo": "Nothing was done; try again later.",
        # -- history and vouchers
        "state.cancelled": "Cancelled",
        "state.refused": "Not cancelled",
        "state.pending": "Not confirmed",
        "history.title": "History",
        "history.summary": "{count} in all, newest first",
        "history.empty": "No cancellations yet",
        "journal.problem": "The terminal's journal cannot be read; call a technician. {error}",
        "history.no_voucher": "This one was not cancelled: it has no voucher",
        "history.no_printer": "No printer: the voucher is shown above",
        "history.printing": "Reprinting…",
        "history.printed": "Voucher reprinted",
        "history.print_failed": "Not printed: {error}",
        "history.settling": "Asking the host…",
        "history.settled": "Confirmed: {state}",
        "history.still_pending": "No answer yet: still not confirmed, try again later",
        "history.settle_failed": "Cannot reach the host ({error}): try again later",
        "history.already_settled": "Already confirmed: {state}",
        "voucher.title": "Voucher",
        "voucher.title_attempt": "Cancellation",
        "voucher.refused": "Not cancelled ({why}): there is no voucher.",
        "voucher.pending": "Not yet confirmed: press 2 to ask the host.",
        # -- the voucher on paper. Only wide (W) or narrow characters, never East Asian
        #    "ambiguous" ones such as "·", whose width differs between printers.
        "paper.title": "APPOINTMENT CANCELLATION",
        "paper.reprint": "*** REPRINT ***",
        "paper.training": "*** TRAINING - NOT VALID ***",
        "paper.merchant": "Merchant no.",
        "paper.terminal": "Terminal no.",
        "paper.operator": "Operator",
        "paper.appointment": "Appointment",
        "paper.scheduled": "Scheduled",
        "paper.service": "Service",
        "paper.address": "Address",
        "paper.reason": "Reason",
        "paper.fee": "Fee charged",
        "paper.cancel_ref": "Cancellation no.",
        "paper.host_time": "Host time",
        "paper.request": "Request id",
        "paper.keep": "Please keep this voucher",
        # -- technician
        "tech.title": "Technician",
        "tech.link": "Line",
        "tech.port": "Port",
        "tech.baud": "Baud",
        "tech.test": "Link test (ECHO)",
        "tech.test_hint": "Press 1 to test",
        "tech.testing": "Testing…",
        "tech.test_ok": "OK: round trip {ms} ms, host time {host_time}",
        "tech.test_failed": "Failed: {error}",
        "tech.counters": "Counters",
        "tech.counter.frames_in": "Frames in",
        "tech.counter.frames_out": "Frames out",
        "tech.counter.acks_in": "ACKs in",
        "tech.counter.acks_out": "ACKs out",
        "tech.counter.naks_in": "NAKs in",
        "tech.counter.naks_out": "NAKs out",
        "tech.counter.resends": "Resends",
        "tech.counter.noise_bytes": "Noise bytes",
        "tech.counter.bad_frames": "Bad frames",
        "tech.counter.abandoned_frames": "Abandoned",
        "tech.counter.duplicates": "Duplicates",
        "tech.counter.send_failures": "Send failures",
        "tech.trace": "Last frames",
        "tech.no_trace": "(none yet)",
    },
}

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def t(key: str, locale: str, **fmt: object) -> str:
    """The text of message `key` in `locale` (zh_CN when the locale is not offered)."""
    text = TEXTS.get(locale, TEXTS[DEFAULT_LOCALE])[key]
    return text.format(**fmt) if fmt else text


def result_text(result: Result, form: str, locale: str, **fmt: object) -> str:
    """What the host's `result` means, in one of the forms of the RESULT table; a result
    the table does not name, or a form it does not give for it, is said as OTHER's."""
    key = f"RESULT.{result.name}.{form}"
    if key not in TEXTS[DEFAULT_LOCALE]:
        key = f"RESULT.OTHER.{form}"
    return t(key, locale, code=result.name, **fmt)


def _name(field: str, member: Service | Reason | Status, locale: str) -> str:
    """The value of a protocol field in words; its number when the catalogue has no words for it."""
    key = f"{field}.{member.name}"
    return t(key, locale) if key in TEXTS[DEFAULT_LOCALE] else str(int(member))


def service_name(service: Service | None, locale: str) -> str:
    return "-" if service is None else _name("SERVICE", service, locale)


def reason_name(reason: Reason, locale: str) -> str:
    return _name("REASON", reason, locale)


def status_name(status: Status, locale: str) -> str:
    return _name("STATUS", status, locale)


def format_money(fen: int, currency: str = _YUAN) -> str:
    """Minor units as money: 1250 → "¥12.50", 0 → "¥0.00"; other currencies by their code."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    symbol = _CURRENCY_SYMBOLS.get(currency)
    if symbol is not None:
        return f"{sign}{symbol}{yuan}.{cents:02d}"
    return f"{sign}{yuan}.{cents:02d} ({currency})"


def _written(when: datetime, locale: str, *, year: bool, seconds: bool) -> str:
    clock = f"{when:%H:%M:%S}" if seconds else f"{when:%H:%M}"
    if locale == "en":
        return f"{when.day} {_MONTHS_EN[when.month - 1]}{f' {when.year}' if year else ''} {clock}"
    return f"{f'{when.year}年' if year else ''}{when.month}月{when.day}日 {clock}"


def day_time(when: datetime, locale: str) -> str:
    """11月28日 10:00 / 28 Nov 10:00"""
    return _written(when, locale, year=False, seconds=False)


def date_time(when: datetime, locale: str) -> str:
    """2026年11月28日 10:00 / 28 Nov 2026 10:00"""
    return _written(when, locale, year=True, seconds=False)


def full_time(when: datetime, locale: str) -> str:
    """With seconds: 2026年11月28日 10:00:03 / 28 Nov 2026 10:00:03"""
    return _written(when, locale, year=True, seconds=True)


def duration(seconds: int, locale: str) -> str:
    """4分30秒 / 4 min 30 s"""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    if locale == "en":
        return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"
