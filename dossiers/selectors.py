"""Reads of the dossiers app: who may see which dossier, and the lists they see."""

from django.contrib.auth.hashers import check_password, make_password
from django.db.models import Q, QuerySet

from dossiers.constants import DossierState
from dossiers.models import Dossier, Slip, StoredDocument
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission

# Compared against when a code is unknown, so that an unknown code and a wrong PIN
# take the same time (no oracle for which codes exist).
_DUMMY_PIN_HASH = make_password("00000000")


def _organisation_ids(user) -> list[int]:
    return list(portal_selectors.organisations_for_user(user=user).values_list("pk", flat=True))


def dossiers_for_applicant(*, user, include_drafts: bool = True) -> QuerySet[Dossier]:
    """The user's own dossiers and those of the organisations it is a member of now."""
    if not getattr(user, "is_authenticated", False):
        return Dossier.objects.none()
    qs = Dossier.objects.filter(
        Q(applicant=user, organisation__isnull=True) | Q(organisation_id__in=_organisation_ids(user))
    )
    if not include_drafts:
        qs = qs.exclude(state=DossierState.DRAFT)
    return qs.select_related("procedure", "procedure_version", "receiving_agency", "organisation").order_by(
        "-updated_at", "-pk"
    )


def dossier_applicant_can_view(*, user, dossier: Dossier) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if dossier.organisation_id:
        return dossier.organisation_id in _organisation_ids(user)
    return dossier.applicant_id == user.pk


def dossier_officer_can_view(*, user, dossier: Dossier) -> bool:
    return portal_selectors.officer_can(
        user=user, agency_id=dossier.receiving_agency_id, permission=OfficerPermission.VIEW_DOSSIERS
    )


def dossier_can_view(*, user, dossier: Dossier) -> bool:
    return dossier_applicant_can_view(user=user, dossier=dossier) or dossier_officer_can_view(
        user=user, dossier=dossier
    )


def dossier_get_for_user(*, user, code: str | None = None, pk: int | None = None) -> Dossier | None:
    """The dossier if the user may see it (applicant, organisation member or officer), else None."""
    qs = Dossier.objects.select_related("procedure", "procedure_version", "receiving_agency", "organisation")
    if code:
        dossier = qs.filter(code=code).first()
    elif pk:
        dossier = qs.filter(pk=pk).first()
    else:
        return None
    if dossier is None or not dossier_can_view(user=user, dossier=dossier):
        return None
    return dossier


def dossier_check_pin(*, code: str, pin: str) -> Dossier | None:
    """Public tracking with a PIN: the dossier when code and PIN match, else None.

    Takes the same time whether the code is unknown or the PIN is wrong.
    """
    dossier = (
        Dossier.objects.select_related("procedure", "receiving_agency").filter(code=code).first()
        if code and len(code) <= 48
        else None
    )
    ok = check_password(pin or "", dossier.tracking_pin_hash if dossier else _DUMMY_PIN_HASH)
    return dossier if dossier is not None and ok else None


def dossier_documents(*, dossier: Dossier):
    return (
        dossier.documents.filter(superseded_at__isnull=True)
        .select_related("stored", "requirement")
        .order_by("requirement__order", "pk")
    )


def dossier_timeline(*, dossier: Dossier):
    return dossier.events.order_by("seq")


def dossier_slips(*, dossier: Dossier) -> QuerySet[Slip]:
    return dossier.slips.exclude(file="").order_by("created_at")


def stored_documents_for_user(*, user) -> QuerySet[StoredDocument]:
    """The user's document store: its own files and its organisations'."""
    return StoredDocument.objects.filter(Q(owner=user) | Q(organisation_id__in=_organisation_ids(user))).order_by(
        "-created_at"
    )


def stored_document_can_download(*, user, stored: StoredDocument) -> bool:
    """Owner, member of the owning organisation, or an officer of an agency holding a dossier with it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if stored.owner_id == user.pk or (stored.organisation_id and stored.organisation_id in _organisation_ids(user)):
        return True
    agency_ids = portal_selectors.officer_agency_ids(user=user, permission=OfficerPermission.VIEW_DOSSIERS)
    return bool(agency_ids) and stored.dossier_uses.filter(dossier__receiving_agency_id__in=agency_ids).exists()


def available_actions(*, user, dossier: Dossier) -> list[str]:
    """Names of the actions the user may take on the dossier now (the registry is `dossiers.actions`)."""
    from dossiers.actions import available_actions as registered_actions

    return registered_actions(user=user, dossier=dossier)
