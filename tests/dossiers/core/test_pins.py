"""Tracking PINs: a keyed hash that is cheap to check, tied to the server's secret key."""

from django.contrib.auth.hashers import make_password
from django.test import override_settings

from dossiers.core import pins


def test_a_pin_matches_only_itself():
    stored = pins.pin_hash("12345678")
    assert stored.startswith(pins.PREFIX) and "12345678" not in stored
    assert pins.pin_check("12345678", stored)
    for wrong in ("12345679", "", "1234567", None):
        assert not pins.pin_check(wrong, stored)


def test_the_hash_depends_on_the_secret_key_and_survives_a_rotation():
    with override_settings(SECRET_KEY="old-key-" + "x" * 50):
        stored = pins.pin_hash("12345678")
    with override_settings(SECRET_KEY="new-key-" + "y" * 50):
        assert not pins.pin_check("12345678", stored)
    with override_settings(SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=["old-key-" + "x" * 50]):
        assert pins.pin_check("12345678", stored)


def test_older_password_hasher_rows_still_check():
    stored = make_password("87654321")
    assert pins.pin_check("87654321", stored) and not pins.pin_check("87654320", stored)
    assert not pins.pin_check("87654321", "")
