"""``manage.py rotate_signing_keys``: re-encrypt every stored private key and PIN under the newest
key of SIGNING_KEY_ENCRYPTION_KEYS, so that the older keys can then be removed."""

from django.core.management.base import BaseCommand

from signing.services import identity_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt stored signing keys under the first key of SIGNING_KEY_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        count = identity_keys_rotate()
        self.stdout.write(f"{count} signing identities re-encrypted.")
