"""Reads of the accounts part; the one place that decides what an officer may do.

Every other app asks `officer_can` / `officer_agency_ids` rather than looking at
memberships itself, so a rule about roles changes in one place.
"""

from collections.abc import Iterable

from allauth.mfa.models import Authenticator
from django.db.models import QuerySet

from portal.constants import ROLE_PERMISSIONS, OfficerPermission, OrganisationRole
from portal.models import (
    ApiToken,
    CitizenProfile,
    OfficerMembership,
    Organisation,
    OrganisationInvitation,
    OrganisationMembership,
    User,
)
from portal.run_cache import run_cached

# Set on a request's user object when the request may not use the user's officer powers: a
# session not verified with the second factor lately, or a bearer token without the ``officer``
# scope (`portal.second_factor`). Every officer check below reads memberships through
# `_active_memberships`, so the whole portal then sees the user as no officer at all.
_POWERS_WITHHELD = "_officer_powers_withheld"


def officer_powers_withhold(user) -> None:
    """For this request only (the user object of the request), act as if the user held no
    officer membership."""
    setattr(user, _POWERS_WITHHELD, True)


def officer_powers_withheld(user) -> bool:
    return bool(getattr(user, _POWERS_WITHHELD, False))


def _active_memberships(user: User) -> QuerySet[OfficerMembership]:
    if officer_powers_withheld(user):
        return OfficerMembership.objects.none()
    return OfficerMembership.objects.filter(user=user, is_active=True, agency__is_active=True)


def user_holds_officer_membership(user) -> bool:
    """Whether the account is an officer's, whatever the request may use (the second factor's
    doors ask this; what a request may do is `user_is_officer`)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_holds_officer_cache", None)
    if cached is None:
        cached = OfficerMembership.objects.filter(user=user, is_active=True, agency__is_active=True).exists()
        user._holds_officer_cache = cached
    return cached


def user_has_totp(user) -> bool:
    """Whether the user has set up an authenticator app (TOTP), which officers must have."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_is_officer(user) -> bool:
    """Whether this request's user acts as an officer (its powers not withheld)."""
    return not officer_powers_withheld(user) and user_holds_officer_membership(user)


def officer_permissions(*, user, agency_id: int) -> frozenset[str]:
    """All permissions the user holds for one agency (union over its roles there)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()

    def compute() -> frozenset[str]:
        roles = _active_memberships(user).filter(agency_id=agency_id).values_list("role", flat=True)
        perms: set[str] = set()
        for role in roles:
            perms |= ROLE_PERMISSIONS.get(role, frozenset())
        return frozenset(perms)

    # One read per bulk run (``portal.run_cache``); every time otherwise.
    return run_cached(("officer_permissions", user.pk, agency_id, officer_powers_withheld(user)), compute)


def officer_can(*, user, agency_id: int, permission: OfficerPermission | str) -> bool:
    return str(permission) in officer_permissions(user=user, agency_id=agency_id)


def officer_agency_ids(*, user, permission: OfficerPermission | str | None = None) -> set[int]:
    """Agencies the user acts for, optionally only those where it holds `permission`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    rows = _active_memberships(user).values_list("agency_id", "role")
    return {
        agency_id
        for agency_id, role in rows
        if permission is None or str(permission) in ROLE_PERMISSIONS.get(role, frozenset())
    }


def officer_member_of(*, user_id: int, agency_ids) -> bool:
    """Whether the user is an active officer of one of the agencies (a filter's assignee)."""
    return OfficerMembership.objects.filter(user_id=user_id, agency_id__in=list(agency_ids), is_active=True).exists()


def officers_of(*, agency_ids) -> QuerySet[User]:
    """The active officers of the agencies, by name (a filter's choice of assignee)."""
    return (
        User.objects.filter(officer_memberships__agency_id__in=list(agency_ids), officer_memberships__is_active=True)
        .distinct()
        .order_by("full_name", "email")
    )


def officer_memberships(*, user: User) -> QuerySet[OfficerMembership]:
    return _active_memberships(user).select_related("agency", "department").order_by("agency__code", "role")


def profile_for_user(*, user: User) -> CitizenProfile | None:
    """The user's citizen profile; without a query when it came with the user (the API token's
    look-up reads it with the user, `api_token_authenticate`)."""
    relation = User.profile.related
    if relation.is_cached(user):
        return relation.get_cached_value(user)
    return CitizenProfile.objects.filter(user=user).first()


def organisations_for_user(*, user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user).order_by("name")


def organisation_role(*, user: User, organisation: Organisation) -> str | None:
    return (
        OrganisationMembership.objects.filter(user=user, organisation=organisation)
        .values_list("role", flat=True)
        .first()
    )


def organisation_is_owner(*, user: User, organisation: Organisation) -> bool:
    return organisation_role(user=user, organisation=organisation) == OrganisationRole.OWNER


def organisation_members(*, organisation: Organisation) -> QuerySet[OrganisationMembership]:
    return organisation.memberships.select_related("user").order_by("role", "user__email")


def invitation_open(*, token: str) -> OrganisationInvitation | None:
    """The invitation behind a link, if it can still be accepted."""
    return (
        OrganisationInvitation.objects.filter(token=token, accepted_at__isnull=True, cancelled_at__isnull=True)
        .select_related("organisation", "invited_by")
        .first()
    )


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def _roles_with(permission: OfficerPermission | str) -> list[str]:
    return [r for r, perms in ROLE_PERMISSIONS.items() if str(permission) in perms]


def users_with_permission(
    *, agency_id: int, permission: OfficerPermission | str, department_ids: Iterable[int] | None = None
) -> QuerySet[User]:
    """Active users holding ``permission`` for the agency; with ``department_ids``, only through
    a role in one of those departments (phòng)."""
    membership = {
        "officer_memberships__agency_id": agency_id,
        "officer_memberships__role__in": _roles_with(permission),
        "officer_memberships__is_active": True,
    }
    if department_ids is not None:
        membership["officer_memberships__department_id__in"] = list(department_ids)
    return User.objects.filter(is_active=True, **membership).distinct()


def officer_department_ids(*, user, agency_id: int, permission: OfficerPermission | str) -> set[int] | None:
    """The departments (phòng) to which the user's roles holding ``permission`` for the agency
    confine it: None when one of them is agency-wide (no department), an empty set when it holds
    no such role. A department head assigns within its department; a leader, agency-wide."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()

    def compute() -> set[int] | None:
        rows = set(
            _active_memberships(user)
            .filter(agency_id=agency_id, role__in=_roles_with(permission))
            .values_list("department_id", flat=True)
        )
        return None if None in rows else rows

    key = ("officer_department_ids", user.pk, agency_id, str(permission), officer_powers_withheld(user))
    found = run_cached(key, compute)
    return None if found is None else set(found)


def users_with_permission_in(*, agency_ids, permission: OfficerPermission | str) -> Iterable[User]:
    """The active users holding ``permission`` in any of the agencies, by name."""
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if str(permission) in perms]
    return (
        User.objects.filter(
            officer_memberships__agency_id__in=list(agency_ids),
            officer_memberships__role__in=roles,
            officer_memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "email")
    )


def citizen_find(*, citizen_id: str = "", email: str = "") -> User | None:
    """The account of a citizen by CCCD (its profile) or by email; used at the counter (tiếp nhận trực tiếp)."""
    if citizen_id:
        profile = CitizenProfile.objects.select_related("user").filter(citizen_id=citizen_id).first()
        if profile is not None:
            return profile.user
    if email:
        return User.objects.filter(email__iexact=email.strip()).first()
    return None


def user_active_get(*, user_id: int) -> User | None:
    """An active account by id (the person a dossier is assigned to, for instance)."""
    return User.objects.filter(pk=user_id, is_active=True).first()
