"""The notification events (sự kiện thông báo): who receives each, on which channels by
default, whether officers may turn it off, and the context its templates need.

See `portal.notifications` for how to add an event.
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.models import NotificationChannel

APPLICANT = "applicant"
OFFICER = "officer"
ANY = "any"

_EMAIL_AND_APP = frozenset({NotificationChannel.IN_APP, NotificationChannel.EMAIL})


@dataclass(frozen=True)
class Event:
    name: str
    label: Promise
    audience: str
    # Context keys the templates use; `notify` refuses a context without them.
    context: tuple[str, ...]
    default_channels: frozenset = field(default=_EMAIL_AND_APP)
    # Officers can not turn these off on the channels in default_channels (deadline alerts).
    mandatory_for_officers: bool = False

    @property
    def template_base(self) -> str:
        return f"notifications/{self.name}"


_DOSSIER = ("dossier_code", "procedure", "url")

EVENTS: dict[str, Event] = {
    event.name: event
    for event in (
        Event("message", _("Thông báo chung"), ANY, ("subject", "body")),
        Event(
            "dossier.status_changed",
            _("Hồ sơ chuyển trạng thái"),
            APPLICANT,
            (*_DOSSIER, "status"),
        ),
        Event(
            "dossier.supplement_requested",
            _("Yêu cầu bổ sung hồ sơ"),
            APPLICANT,
            (*_DOSSIER, "items"),
            default_channels=frozenset({*_EMAIL_AND_APP, NotificationChannel.SMS}),
        ),
        Event(
            "dossier.result_ready",
            _("Có kết quả giải quyết hồ sơ"),
            APPLICANT,
            _DOSSIER,
            default_channels=frozenset({*_EMAIL_AND_APP, NotificationChannel.SMS}),
        ),
        Event(
            "dossier.apology", _("Thư xin lỗi và hẹn lại ngày trả kết quả"), APPLICANT, (*_DOSSIER, "reason", "new_due")
        ),
        Event("dossier.assigned", _("Được phân công xử lý hồ sơ"), OFFICER, (*_DOSSIER, "due")),
        Event(
            "consultation.requested",
            _("Đề nghị phối hợp, lấy ý kiến"),
            OFFICER,
            (*_DOSSIER, "requesting_agency", "due"),
        ),
        Event(
            "deadline.due_soon",
            _("Hồ sơ sắp đến hạn"),
            OFFICER,
            (*_DOSSIER, "due"),
            mandatory_for_officers=True,
        ),
        Event(
            "deadline.overdue",
            _("Hồ sơ quá hạn"),
            OFFICER,
            (*_DOSSIER, "due"),
            mandatory_for_officers=True,
        ),
        Event(
            "deadline.escalated",
            _("Hồ sơ quá hạn được báo cáo lãnh đạo"),
            OFFICER,
            (*_DOSSIER, "due", "responsible"),
            mandatory_for_officers=True,
        ),
        Event(
            "deadline.reception_due_soon",
            _("Hồ sơ trực tuyến sắp hết hạn tiếp nhận"),
            OFFICER,
            (*_DOSSIER, "due"),
            mandatory_for_officers=True,
        ),
        Event(
            "deadline.reception_overdue",
            _("Hồ sơ trực tuyến quá hạn tiếp nhận"),
            OFFICER,
            (*_DOSSIER, "due"),
            mandatory_for_officers=True,
        ),
        Event(
            "petition.status_changed",
            _("Phản ánh, kiến nghị chuyển trạng thái"),
            APPLICANT,
            ("petition_code", "status", "url"),
        ),
        Event(
            "petition.due_soon",
            _("Phản ánh, kiến nghị sắp đến hạn trả lời"),
            OFFICER,
            ("petition_code", "due", "url"),
            mandatory_for_officers=True,
        ),
        Event(
            "petition.overdue",
            _("Phản ánh, kiến nghị quá hạn trả lời"),
            OFFICER,
            ("petition_code", "due", "url"),
            mandatory_for_officers=True,
        ),
        Event(
            "digest.daily",
            _("Báo cáo tổng hợp hằng ngày"),
            OFFICER,
            ("agency", "date", "received", "resolved", "due_soon", "overdue", "waiting", "url"),
        ),
        Event("account.login_failures", _("Đăng nhập sai nhiều lần vào tài khoản"), ANY, ("failures", "url")),
        Event(
            "certificate.expiring",
            _("Chứng thư số sắp hết hạn"),
            OFFICER,
            ("certificate", "expires", "days_left", "url"),
        ),
    )
}


def event_get(name: str) -> Event:
    """The event called ``name``; KeyError for an unknown one (a programming error)."""
    return EVENTS[name]
