"""Encryption at rest of private keys and token PINs (MultiFernet, keys from settings).

``SIGNING_KEY_ENCRYPTION_KEYS`` lists Fernet keys, newest first: the first encrypts, every
one of them decrypts, so a new key can be put in front and the ``rotate_signing_keys``
command re-encrypts the stored blobs before the old key is removed.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("SIGNING_KEY_ENCRYPTION_KEYS is empty: private keys cannot be stored.")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("SIGNING_KEY_ENCRYPTION_KEYS holds a malformed Fernet key.") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.SIGNING_KEY_ENCRYPTION_KEYS))


def encrypt_secret(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_secret(token: bytes) -> bytes:
    try:
        return fernet().decrypt(bytes(token))
    except InvalidToken as exc:
        # Never include the token in the message: it would land in logs.
        raise ImproperlyConfigured("A signing secret cannot be decrypted with the configured keys.") from exc


def rotate_secret(token: bytes) -> bytes:
    """The same secret, encrypted again under the first (newest) key."""
    return fernet().rotate(bytes(token))
