"""Who may act on a dossier: the reads the transition guards and the public faces share.

The applicant side (the applicant, or a member of the applicant organisation now) and the
officer side (the agencies a transition counts, the consultations open to an officer).
"""

from django.db.models import Q

from dossiers.models import Consultation, Dossier
from portal import selectors as portal_selectors


def organisation_ids(user) -> list[int]:
    """The organisations ``user`` is a member of now."""
    return list(portal_selectors.organisations_for_user(user=user).values_list("pk", flat=True))


def applicant_scope(user) -> Q:
    """The dossiers of the user's own (not on behalf of an organisation) and its organisations'."""
    return Q(applicant=user, organisation__isnull=True) | Q(organisation_id__in=organisation_ids(user))


def dossier_applicant_can_view(*, user, dossier: Dossier) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if dossier.organisation_id:
        return dossier.organisation_id in organisation_ids(user)
    return dossier.applicant_id == user.pk


def consultation_open_agency_ids(*, dossier: Dossier) -> list[int]:
    return list(
        Consultation.objects.filter(dossier=dossier, answered_at__isnull=True).values_list("agency_id", flat=True)
    )


def consultations_open_for_officer(*, user, dossier: Dossier, permissions) -> list[Consultation]:
    """Open consultations of the dossier addressed to an agency where ``user`` holds one of ``permissions``."""
    agency_ids = {a for p in permissions for a in portal_selectors.officer_agency_ids(user=user, permission=p)}
    if not agency_ids:
        return []
    return list(
        Consultation.objects.filter(dossier=dossier, answered_at__isnull=True, agency_id__in=agency_ids).order_by("pk")
    )
