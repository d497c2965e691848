"""Deployment check: a production portal must have the key that encrypts signing keys."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def signing_keys_configured(app_configs, **kwargs):
    if settings.SIGNING_KEY_ENCRYPTION_KEYS:
        return []
    return [
        Error(
            "SIGNING_KEY_ENCRYPTION_KEYS is not set: private signing keys cannot be stored or used.",
            hint="Set it to one or more Fernet keys, newest first.",
            id="signing.E001",
        )
    ]
