"""Writes of the accounts part: profiles, organisations and their members, API tokens;
and the outbox (`outbox_enqueue`), through which any app enqueues a task with its change."""

from .identity import profile_record_identity
from .organisations import (
    organisation_accept_invitation,
    organisation_create,
    organisation_invitation_send,
    organisation_invite_member,
    organisation_remove_member,
)
from .outbox import outbox_enqueue
from .profiles import profile_update
from .tokens import ApiTokenExpired, api_token_authenticate, api_token_create, api_token_revoke

__all__ = [
    "ApiTokenExpired",
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "organisation_accept_invitation",
    "organisation_create",
    "organisation_invitation_send",
    "organisation_invite_member",
    "organisation_remove_member",
    "outbox_enqueue",
    "profile_record_identity",
    "profile_update",
]
