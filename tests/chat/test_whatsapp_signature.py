"""X-Hub-Signature-256: only the app secret's HMAC of the exact body passes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from antrean.chat.whatsapp.signature import sign, verify_signature

SECRET = "app-secret-for-tests"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def meta_signature(body: bytes, secret: str = SECRET) -> str:
    """What Meta sends, computed here independently of the module under test."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_sign_writes_the_documented_header_value():
    assert sign(BODY, SECRET) == meta_signature(BODY)


def test_a_good_signature_passes():
    assert verify_signature(BODY, meta_signature(BODY), SECRET)


def test_upper_case_hex_passes():
    header = meta_signature(BODY)
    assert verify_signature(BODY, "sha256=" + header[7:].upper(), SECRET)


@pytest.mark.parametrize(
    "header",
    [
        meta_signature(BODY, "another-secret"),
        meta_signature(BODY + b" "),
        meta_signature(BODY)[:-2],
        "sha256=",
        "sha256=zz",
        "sha256=é" + "0" * 63,
    ],
)
def test_a_bad_signature_fails(header):
    assert not verify_signature(BODY, header, SECRET)


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_signature_fails(header):
    assert not verify_signature(BODY, header, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
        meta_signature(BODY)[7:],
        "SHA256=" + meta_signature(BODY)[7:],
    ],
)
def test_a_wrong_prefix_fails(header):
    assert not verify_signature(BODY, header, SECRET)
