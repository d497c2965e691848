"""Tracking PINs (mã tra cứu) stored as a keyed hash.

A PIN is eight random digits shown once to the applicant. Hashing it with the password
hasher (PBKDF2, a million iterations in production) would cost about half a second of CPU on
every filing and every public look-up; a keyed HMAC-SHA256 costs microseconds and is as safe
here: without the server's secret key the hash cannot be brute-forced offline, and online
guessing is stopped by the tracking rate limit. ``SECRET_KEY_FALLBACKS`` keep older PINs valid
across a key rotation. Hashes made by the password hasher (older rows) are still checked.
"""

import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.utils.crypto import constant_time_compare, salted_hmac

from dossiers.constants import TRACKING_PIN_LENGTH

PREFIX = "hmac_sha256$"
_SALT = "dossiers.tracking_pin"


def _digest(pin: str, secret: str) -> str:
    return salted_hmac(_SALT, pin, secret=secret, algorithm="sha256").hexdigest()


def pin_hash(pin: str) -> str:
    return PREFIX + _digest(pin, settings.SECRET_KEY)


def pin_check(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches ``stored``; takes the same time for a wrong PIN and an empty hash."""
    pin = pin or ""
    if not stored.startswith(PREFIX):
        # Older rows hashed with the password hasher, and the dummy for unknown codes.
        return bool(stored) and check_password(pin, stored)
    digest = stored[len(PREFIX) :]
    matched = False
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        matched |= constant_time_compare(_digest(pin, secret), digest)
    return matched


def pin_new() -> str:
    """A new tracking PIN: ``TRACKING_PIN_LENGTH`` random digits."""
    return "".join(secrets.choice("0123456789") for _ in range(TRACKING_PIN_LENGTH))
