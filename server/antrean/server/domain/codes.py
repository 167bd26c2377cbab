"""Approval and booking codes (R2, R10)."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L: the code is read aloud and typed from a phone screen.
BOOKING_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BOOKING_CODE_LENGTH = 8
APPROVAL_CODE_LENGTH = 8

_BOOKING_CODE = re.compile(f"[{BOOKING_CODE_ALPHABET}]{{{BOOKING_CODE_LENGTH}}}")
_APPROVAL_CODE = re.compile(f"[0-9]{{{APPROVAL_CODE_LENGTH}}}")
_SEPARATORS = re.compile(r"[\s\-]")


def new_approval_code() -> str:
    """Returns a random 8-digit approval code, leading zeros kept."""
    return f"{secrets.randbelow(10**APPROVAL_CODE_LENGTH):0{APPROVAL_CODE_LENGTH}d}"


def new_booking_code() -> str:
    """Returns a random booking code; uniqueness is held by the database."""
    return "".join(
        secrets.choice(BOOKING_CODE_ALPHABET) for _ in range(BOOKING_CODE_LENGTH)
    )


def normalize_booking_code(text: str) -> str | None:
    """Returns the code in canonical form, or None when it cannot be one."""
    code = _SEPARATORS.sub("", text).upper()
    return code if _BOOKING_CODE.fullmatch(code) else None


def normalize_approval_code(text: str) -> str | None:
    """Returns the 8 digits, or None when the text is not an approval code."""
    code = _SEPARATORS.sub("", text)
    return code if _APPROVAL_CODE.fullmatch(code) else None
