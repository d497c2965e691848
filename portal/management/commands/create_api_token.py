"""Print a new API bearer token for a user (shown once; only its digest is stored).

The server operator's command: by default the token has every scope the user's roles allow,
``officer`` included for an officer. Whoever runs it holds the server, so it stands in for the
web form's second factor; an officer token still expires (90 days at most, ``--days``).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.constants import API_TOKEN_SCOPES
from portal.models import User
from portal.selectors import user_holds_officer_membership
from portal.services import api_token_create


class Command(BaseCommand):
    help = "Tạo mã truy cập API cho người dùng và in ra (chỉ một lần). / Create an API token."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="CLI")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=API_TOKEN_SCOPES,
            help="Repeatable; default: every scope the user's roles allow (officer for an officer).",
        )
        parser.add_argument("--days", type=int, default=None, help="Expiry in days (officer tokens: 90 at most).")

    def handle(self, *args, email, name, scopes, days, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"Không có người dùng với email {email} / no user with email {email}")
        try:
            if not scopes:
                officer = user_holds_officer_membership(user)
                scopes = [scope for scope in API_TOKEN_SCOPES if officer or scope != "officer"]
            _token, raw = api_token_create(user=user, name=name, scopes=scopes, expires_in_days=days, by_operator=True)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(raw)
