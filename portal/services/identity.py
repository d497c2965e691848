"""The citizen's identity from VNeID: the profile fields it fills, and the account it links.

VNeID's claims fill the profile (số định danh, full name, date of birth, sex, …) at every
sign-in; the fields it filled are listed in ``CitizenProfile.identity_fields``, shown as coming
from VNeID and refused by `profile_update` when edited by hand.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.constants import Sex
from portal.models import CitizenProfile, User
from portal.validators import normalise_phone

_SEXES = {"male": Sex.MALE, "nam": Sex.MALE, "female": Sex.FEMALE, "nu": Sex.FEMALE, "nữ": Sex.FEMALE}
# Only these are locked while VNeID gives them; phone and e-mail are contacts the citizen keeps.
IDENTITY_FIELDS = ("citizen_id", "full_name", "date_of_birth", "sex", "permanent_address")


def _claim_value(field: str, value):
    """The profile's value for a claim, or None when the claim is unusable."""
    if value in (None, ""):
        return None
    if field == "date_of_birth":
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            return None
    if field == "sex":
        return _SEXES.get(str(value).strip().lower())
    if field == "permanent_address":
        value = value.get("formatted") if isinstance(value, dict) else value
        return str(value)[:255] if value else None
    if field == "phone":
        return normalise_phone(str(value))[:15]
    return str(value)[:150]


def identity_profile_values(claims: dict) -> dict:
    """The profile fields VNeID's claims give (``VNEID_CLAIM_NAMES``), in the profile's types."""
    values = {}
    for field, claim in settings.VNEID_CLAIM_NAMES.items():
        value = _claim_value(field, claims.get(claim))
        if value is not None:
            values[field] = value
    return values


@transaction.atomic
def profile_record_identity(*, user: User, claims: dict) -> CitizenProfile:
    """Write what VNeID says of the person into its profile (created when missing)."""
    values = identity_profile_values(claims)
    profile = CitizenProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        profile = CitizenProfile(user=user)
    for field, value in values.items():
        if field in IDENTITY_FIELDS or not getattr(profile, field):
            setattr(profile, field, value)
    profile.identity_fields = [field for field in IDENTITY_FIELDS if field in values]
    profile.identity_verified_at = timezone.now()
    profile.save()
    if profile.full_name and user.full_name != profile.full_name:
        user.full_name = profile.full_name
        user.save(update_fields=["full_name"])
    return profile
