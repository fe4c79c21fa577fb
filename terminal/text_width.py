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
