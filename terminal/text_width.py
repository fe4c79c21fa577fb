"""How many columns text takes on a receipt printer or a terminal (a Chinese character takes
two), and the pieces a line of it may break between; the voucher and the screens wrap with them."""

from __future__ import annotations

import unicodedata


def char_width(ch: str) -> int:
    """Columns one character takes on a receipt printer or terminal."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns `text` takes: wide and fullwidth (Chinese) characters count 2."""
    return sum(char_width(ch) for ch in text)


def wrap_tokens(text: str) -> list[str]:
    """What a line may break between: a run of narrow non-space characters (a word), one wide
    character (Chinese breaks between any two), or one space."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch == " " or char_width(ch) == 2:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def fold_word(word: str, width: int) -> list[str]:
    """A word wider than a line, cut into pieces of at most `width` columns."""
    pieces, piece, used = [], "", 0
    for ch in word:
        if used + char_width(ch) > width and piece:
            pieces.append(piece)
            piece, used = "", 0
        piece += ch
        used += char_width(ch)
    return [*pieces, piece] if piece else pieces


# Marks that may not begin a line, and marks that may not end one (simplified kinsoku).
NO_LINE_START = frozenset("，。、；：！？）》」』】〉…,.;:!?)%")
NO_LINE_END = frozenset("（《「『【〈(")


def wrap_prose(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells; a newline in `text` always starts a new line."""
    width = max(width, 2)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0
        wrapped = False  # the line being filled continues a wrapped one: no leading spaces
        for token in wrap_tokens(paragraph):
            if token == " ":
                if (line or not wrapped) and used < width:
                    line.append(token)
                    used += 1
                continue
            size = display_width(token)
            if used + size > width and line:
                carried: list[str] = []
                # Keep a closing mark with the character before it, and an opening one with
                # the character after it.
                # (a run of closing marks goes down together with the character before it)
                while (carried or [token])[0][0] in NO_LINE_START and len(line) > 1 and line[-1] != " ":
                    carried.insert(0, line.pop())
                while len(line) > 1 and line[-1] != " " and line[-1][-1] in NO_LINE_END:
                    carried.insert(0, line.pop())
                lines.append("".join(line).rstrip())
                line, used = carried, sum(display_width(t) for t in carried)
                wrapped = True
            if size > width:
                *whole, token = fold_word(token, width)
                if line:
                    lines.append("".join(line).rstrip())
                    line, used = [], 0
                lines.extend(whole)
                size = display_width(token)
            line.append(token)
            used += size
        lines.append("".join(line).rstrip())
    return lines
