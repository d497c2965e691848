"""The e-mails cite the forms of the dossier's rule set, like the slips: Circular 01/2018/TT-VPCP
for a dossier received before 15 September 2025, Circular 03/2025/TT-VPCP from then on (and
Decree 118/2025 from 1 July 2025 changes no form: the 2018 forms stay until the circular).

Hand-computed: under 01/2018 the apology is "Mẫu 04 — Phiếu xin lỗi và hẹn lại ngày trả kết
quả" and there is no stop notice; under 03/2025 it is "Mẫu 04 — Văn bản xin lỗi và đề nghị gia
hạn thời gian giải quyết" and the stop notice is "Mẫu 05 — Thông báo dừng giải quyết hồ sơ".
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from dossiers import services
from dossiers.core.notices import dossier_notify_status
from dossiers.models import Dossier
from dossiers.services import deadlines
from portal.notifications import notify
from procedures.models import RuleSet
from tests.dossiers.factories import DossierFactory, Team, refresh

pytestmark = pytest.mark.django_db

OLD, NEW = "Ban hành kèm theo Thông tư số 01/2018/TT-VPCP", "Ban hành kèm theo Thông tư số 03/2025/TT-VPCP"
APOLOGY_2018 = "Mẫu 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả"
APOLOGY_2025 = "Mẫu 04 — Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"
SUPPLEMENT = "Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
STOP_2025 = "Mẫu 05 — Thông báo dừng giải quyết hồ sơ"

# The day received (local), the apology form and the basis the e-mails cite.
DAYS = [
    (dt.date(2025, 6, 30), APOLOGY_2018, OLD),  # Decree 61/2018
    (dt.date(2025, 7, 1), APOLOGY_2018, OLD),  # Decree 118/2025, still Circular 01/2018's forms
    (dt.date(2025, 9, 14), APOLOGY_2018, OLD),
    (dt.date(2025, 9, 15), APOLOGY_2025, NEW),  # Circular 03/2025
]


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def received():
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    return refresh(dossier), team


def _on(dossier, day: dt.date) -> Dossier:
    Dossier.objects.filter(pk=dossier.pk).update(received_at=at(day), submitted_at=at(day, 8))
    return refresh(dossier)


def _mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def _bodies(message) -> str:
    return message.body + "".join(content for content, _mime in getattr(message, "alternatives", []))


@pytest.mark.parametrize(("day", "apology", "basis"), DAYS)
def test_the_apology_email_cites_the_form_of_the_rule_set(
    received, day, apology, basis, django_capture_on_commit_callbacks
):
    dossier, _team = received
    dossier = _on(dossier, day)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() + dt.timedelta(days=3))
    dossier = refresh(dossier)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        dossier_notify_status(dossier, note="Cần xác minh thêm", action="apology")
    (message,) = _mails_to(dossier.applicant.email)
    body = _bodies(message)
    assert f"Biểu mẫu: {apology} ({basis})." in message.body
    assert apology in body.split("<p", 1)[-1]  # the HTML part too
    other = APOLOGY_2025 if apology == APOLOGY_2018 else APOLOGY_2018
    assert other not in body


@pytest.mark.parametrize(("day", "basis"), [(dt.date(2025, 9, 14), OLD), (dt.date(2025, 9, 15), NEW)])
def test_the_supplement_email_cites_form_02_of_the_rule_set(received, day, basis, django_capture_on_commit_callbacks):
    dossier, team = received
    dossier = _on(dossier, day)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_request_supplement(
            user=team.reception, dossier_id=dossier.pk, items=[{"field": "full_name", "reason": "Họ tên không khớp"}]
        )
    (message,) = _mails_to(dossier.applicant.email)
    assert f"Biểu mẫu: {SUPPLEMENT} ({basis})." in message.body
    assert (OLD if basis == NEW else NEW) not in _bodies(message)


@pytest.mark.parametrize(("day", "cited"), [(dt.date(2025, 9, 14), ""), (dt.date(2025, 9, 15), f"{STOP_2025} ({NEW})")])
def test_the_stop_email_cites_form_05_only_under_circular_03_2025(
    received, day, cited, django_capture_on_commit_callbacks
):
    dossier, team = received
    dossier = _on(dossier, day)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_stop(user=team.leader, dossier_id=dossier.pk, reason="Có tranh chấp, dừng xử lý")
    (message,) = _mails_to(dossier.applicant.email)
    if cited:
        assert f"Biểu mẫu: {cited}." in message.body
    else:
        assert "Biểu mẫu" not in message.body and "Mẫu 05" not in _bodies(message)


@pytest.mark.parametrize(("day", "apology", "basis"), DAYS)
def test_the_due_soon_reminder_names_the_apology_form_of_the_rule_set(
    received, day, apology, basis, django_capture_on_commit_callbacks
):
    dossier, team = received
    dossier = _on(dossier, day)
    context = deadlines._context(dossier)
    assert (context["form"], context["form_basis"]) == (apology, basis)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify(team.head, "deadline.due_soon", context)
    (message,) = _mails_to(team.head.email)
    assert f"cần ban hành {apology} ({basis}) trước ngày hẹn trả kết quả" in message.body


def test_the_english_email_keeps_the_forms_legal_name(received, django_capture_on_commit_callbacks):
    dossier, team = received
    dossier = _on(dossier, dt.date(2025, 9, 15))
    dossier.applicant.language = "en"
    dossier.applicant.save(update_fields=["language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_request_supplement(
            user=team.reception, dossier_id=dossier.pk, items=[{"field": "full_name", "reason": "Họ tên không khớp"}]
        )
    (message,) = _mails_to(dossier.applicant.email)
    assert f"Official form: {SUPPLEMENT} ({NEW})." in message.body


def test_the_reception_reminder_states_the_hours_and_basis_of_the_rule_set(django_capture_on_commit_callbacks):
    """The 8 working hours and their basis come from the dossier's rule set: an administrator's
    later set (6 hours, its article) changes the reminder of a dossier submitted under it only."""
    RuleSet.objects.create(
        effective_from=dt.date(2027, 3, 1),
        name="Quy định thử nghiệm",
        online_reception_hours=6,
        online_reception_article="Điều 9 Nghị định thử nghiệm",
    )
    now = timezone.now()
    texts = {}
    for key, submitted in (("built-in", at(dt.date(2025, 9, 15))), ("admin", at(dt.date(2027, 3, 2)))):
        dossier = DossierFactory(submitted_at=submitted, reception_due_at=now + dt.timedelta(minutes=30))
        team = Team(dossier.receiving_agency)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            deadlines.deadlines_sweep(now=now)
        (message,) = _mails_to(team.reception.email)
        texts[key] = message.body
    assert (
        "(8 giờ làm việc kể từ khi nộp, theo Nghị định số 45/2020/NĐ-CP (điều khoản chưa được đối chiếu))"
        in (texts["built-in"])
    )
    assert "(6 giờ làm việc kể từ khi nộp, theo Điều 9 Nghị định thử nghiệm)" in texts["admin"]
