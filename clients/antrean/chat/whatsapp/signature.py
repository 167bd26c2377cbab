"""``X-Hub-Signature-256``: Meta signs each webhook body with the app secret.

The header reads ``sha256=<hex>``, the hex HMAC-SHA256 of the raw body keyed by
the app secret. It must be checked against the bytes as received, before any
parsing: re-encoded JSON would not match.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    """Returns the header value Meta sends with ``body``: ``sha256=<hex>``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """Tells whether ``header`` is the signature of ``body`` under ``app_secret``.

    A missing header, another algorithm's prefix or a malformed digest is as
    false as a wrong one. The comparison takes the same time wherever the
    digests differ, so that a forger learns nothing from response times.
    """
    if not header or not header.startswith(_PREFIX):
        return False
    # Headers arrive as latin-1 text; bytes keep compare_digest off non-ASCII.
    given = header[len(_PREFIX) :].strip().lower().encode("latin-1", "replace")
    expected = sign(body, app_secret)[len(_PREFIX) :].encode()
    return hmac.compare_digest(given, expected)
