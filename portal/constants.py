"""Choices and role rules of the accounts part of the portal."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "male", _("Nam")
    FEMALE = "female", _("Nữ")


class OrganisationRole(models.TextChoices):
    OWNER = "owner", _("Chủ sở hữu")
    MEMBER = "member", _("Thành viên")


class OfficerRole(models.TextChoices):
    """Roles of a one-stop shop (Bộ phận Một cửa) officer within one agency."""

    RECEPTION = "reception", _("Cán bộ tiếp nhận")
    SPECIALIST = "specialist", _("Chuyên viên xử lý")
    DEPARTMENT_HEAD = "department_head", _("Lãnh đạo phòng")
    LEADER = "leader", _("Lãnh đạo cơ quan")
    AGENCY_ADMIN = "agency_admin", _("Quản trị cơ quan")


class OfficerPermission(models.TextChoices):
    """What an officer may do for an agency; the workflow and API ask for these."""

    VIEW_DOSSIERS = "view_dossiers", _("Xem hồ sơ của cơ quan")
    RECEIVE = "receive", _("Tiếp nhận, yêu cầu bổ sung, từ chối hồ sơ")
    COUNTER_INTAKE = "counter_intake", _("Nhận hồ sơ trực tiếp tại quầy")
    RETURN_RESULT = "return_result", _("Trả kết quả")
    ASSIGN = "assign", _("Phân công xử lý")
    PROCESS = "process", _("Thẩm định, đề xuất")
    REVIEW = "review", _("Xem xét cấp phòng")
    APPROVE = "approve", _("Phê duyệt, ký kết quả")
    ISSUE_APOLOGY = "issue_apology", _("Ban hành thư xin lỗi")
    VIEW_STATS = "view_stats", _("Xem thống kê")
    MANAGE_AGENCY = "manage_agency", _("Quản trị cơ quan")


_P = OfficerPermission
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    OfficerRole.RECEPTION: frozenset({_P.VIEW_DOSSIERS, _P.RECEIVE, _P.COUNTER_INTAKE, _P.RETURN_RESULT}),
    OfficerRole.SPECIALIST: frozenset({_P.VIEW_DOSSIERS, _P.PROCESS}),
    OfficerRole.DEPARTMENT_HEAD: frozenset({_P.VIEW_DOSSIERS, _P.ASSIGN, _P.REVIEW, _P.ISSUE_APOLOGY, _P.VIEW_STATS}),
    OfficerRole.LEADER: frozenset({_P.VIEW_DOSSIERS, _P.ASSIGN, _P.APPROVE, _P.ISSUE_APOLOGY, _P.VIEW_STATS}),
    OfficerRole.AGENCY_ADMIN: frozenset({_P.VIEW_DOSSIERS, _P.MANAGE_AGENCY, _P.VIEW_STATS}),
}

API_TOKEN_PREFIX = "dvc_"  # noqa: S105 - a public prefix, not a secret
API_TOKEN_SCOPES = ("dossiers:read", "dossiers:write", "officer", "webhooks")
