"""Monthly report subscriptions (đăng ký nhận báo cáo tháng): which agencies' reports a leader
receives by email, and in which format. ``reports.stats_send_monthly_reports`` (beat, on the
first of the month) mails them.

A user may subscribe only to an agency whose figures it may read (``view_stats`` there or on a
parent agency); the page checks that at its edge and ``stats_subscription_set`` checks it again.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dossiers.models import ReportFormat, StatsSubscription
from dossiers.stats import reports, service


def stats_subscriptions_for(*, user, tree: dict) -> list[dict]:
    """One row per agency the user may follow (tree order): id, name, depth, and its subscription
    (``active``, ``report_format``) when it has one."""
    allowed = reports.stats_allowed_agency_ids(user=user, tree=tree)
    existing = {s.agency_id: s for s in StatsSubscription.objects.filter(user=user, agency_id__in=allowed)}

    rows = []

    def walk(agency_id: int, depth: int) -> None:
        subscription = existing.get(agency_id)
        rows.append(
            {
                "id": agency_id,
                "code": tree[agency_id]["code"],
                "name": tree[agency_id]["name"],
                "depth": depth,
                "indent": "— " * depth,
                "active": bool(subscription and subscription.is_active),
                "report_format": subscription.report_format if subscription else ReportFormat.XLSX,
            }
        )
        for child in sorted(tree[agency_id]["children"], key=lambda i: tree[i]["code"]):
            if child in allowed:
                walk(child, depth + 1)

    for top in reports.top_agencies(tree, allowed):
        walk(top, 0)
    return rows


def stats_subscription_set(
    *, user, agency_id: int, active: bool, report_format: str = ReportFormat.XLSX
) -> StatsSubscription | None:
    """Subscribe ``user`` to the monthly report of ``agency_id`` (or change its format), or
    unsubscribe it (``active=False``; a missing subscription stays missing).

    Raises ``ValidationError`` for an unknown agency or format and ``PermissionDenied`` when the
    user may not read the agency's figures; nothing is written then.
    """
    tree = service.agency_tree()
    if agency_id not in tree:
        raise ValidationError(_("Cơ quan không tồn tại hoặc đã ngừng hoạt động."), code="unknown_agency")
    if agency_id not in reports.stats_allowed_agency_ids(user=user, tree=tree):
        raise PermissionDenied(_("Bạn không có quyền nhận báo cáo của cơ quan này."))
    if report_format not in ReportFormat.values:
        raise ValidationError(_("Định dạng báo cáo không hợp lệ; chọn XLSX hoặc PDF."), code="bad_format")
    with transaction.atomic():
        subscription = StatsSubscription.objects.select_for_update().filter(user=user, agency_id=agency_id).first()
        if not active:
            if subscription is not None and subscription.is_active:
                subscription.is_active = False
                subscription.save(update_fields=["is_active"])
            return subscription
        if subscription is None:
            return StatsSubscription.objects.create(
                user=user, agency_id=agency_id, is_active=True, report_format=report_format
            )
        subscription.is_active = True
        subscription.report_format = report_format
        subscription.save(update_fields=["is_active", "report_format"])
        return subscription
