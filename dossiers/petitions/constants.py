"""States and kinds of a petition (phản ánh, kiến nghị)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.constants import OfficerPermission


class PetitionKind(models.TextChoices):
    FEEDBACK = "feedback", _("Phản ánh")
    PROPOSAL = "proposal", _("Kiến nghị")


class PetitionState(models.TextChoices):
    RECEIVED = "received", _("Đã tiếp nhận, đang xử lý")
    INFO_REQUESTED = "info_requested", _("Đề nghị bổ sung thông tin")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    ANSWERED = "answered", _("Đã trả lời")


OPEN_STATES = (PetitionState.RECEIVED, PetitionState.INFO_REQUESTED)
CLOSED_STATES = (PetitionState.REFUSED, PetitionState.ANSWERED)

# What an officer needs for the agency the petition is routed to: to see it, and to act on it
# (the one-stop reception officers and the leaders who answer in the agency's name).
VIEW_PERMISSION = OfficerPermission.VIEW_DOSSIERS
ACT_PERMISSIONS = (OfficerPermission.RECEIVE, OfficerPermission.APPROVE)

TITLE_MAX = 200
CONTENT_MAX = 5000
CONTENT_MIN = 20
TEXT_MAX = 5000
CODE_PREFIX = "PAKN"
