"""What a `pos-terminal` command prints: text for people, or one JSON document for scripts (--json)."""

from __future__ import annotations

import sys
from typing import Any


class CommandOutput:
    """Text for people, or one JSON document for scripts."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        if self.as_json:
            self.notes.append(text)
        else:
            print(text, file=sys.stderr)

    def emit(self, document: dict[str, Any], text: str) -> None:
        import json  # here, not at the top: the app's start-up does not need it

        if self.as_json:
            if self.notes:
                document = {**document, "notes": self.notes}
            print(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            print(text)

    def fail(self, code: int, kind: str, text: str, **extra: Any) -> int:
        import json

        if self.as_json:
            print(json.dumps({"ok": False, "error": kind, "message": text, **extra}, ensure_ascii=False, indent=2))
        else:
            print(f"pos-terminal: {text}", file=sys.stderr)
        return code
