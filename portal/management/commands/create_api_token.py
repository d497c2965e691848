"""Print a new API bearer token for a user (shown once; only its digest is stored)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.constants import API_TOKEN_SCOPES
from portal.models import User
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
            help="Repeatable; default: dossiers:read and dossiers:write.",
        )

    def handle(self, *args, email, name, scopes, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"Không có người dùng với email {email} / no user with email {email}")
        try:
            _token, raw = api_token_create(user=user, name=name, scopes=scopes)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(raw)
