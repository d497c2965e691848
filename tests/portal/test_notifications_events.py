"""Every notification event: its templates in both languages, its channels, the users'
preferences (officers can not turn off deadline alerts) and the preferences page."""

import pytest
from django.core import mail

from portal import notifications
from portal.constants import OfficerRole
from portal.models import NotificationPreference
from portal.notifications import sms
from portal.notifications.events import EVENTS
from tests.factories import CitizenProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

SAMPLE = {
    "subject": "Tiêu đề <thử>",
    "body": "Nội dung & chi tiết",
    "dossier_code": "000.00.12.H48-261122-0001",
    "procedure": "Đăng ký khai sinh",
    "status": "Đang xử lý",
    "note": "Ghi chú thử",
    "items": ["Tờ khai: bản scan mờ", "Họ tên không khớp"],
    "reason": "Cần xác minh thêm",
    "new_due": "15/12/2026",
    "due": "10/12/2026 17:00",
    "assigned_by": "Trần Văn Lãnh Đạo",
    "requesting_agency": "Sở Tư pháp",
    "step": "Thẩm định",
    "responsible": "Nguyễn Văn Chuyên Viên",
    "agency": "UBND xã Demo",
    "date": "01/12/2026",
    "received": 12,
    "resolved": 9,
    "due_soon": 3,
    "overdue": 1,
    "waiting": 4,
    "certificate": "CA Tỉnh Demo",
    "expires": "31/12/2026",
    "days_left": 30,
    "failures": 7,
    "petition_code": "PAKN-261201-000001",
    "url": "/dossiers/000.00.12.H48-261122-0001/",
}


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("event", sorted(EVENTS))
def test_every_template_renders_in_both_languages(event, language, settings):
    settings.SITE_URL = "https://dichvucong.example.gov.vn"
    context = {key: SAMPLE[key] for key in EVENTS[event].context}
    rendered = notifications.message_render(event=event, context=context, language=language)
    other = notifications.message_render(event=event, context=context, language="en" if language == "vi" else "vi")
    assert rendered["subject"] and "\n" not in rendered["subject"]
    link = "https://dichvucong.example.gov.vn/dossiers/000.00.12.H48-261122-0001/"
    if "url" in context:
        assert link in rendered["text"] and f'href="{link}"' in rendered["html"]
    assert rendered["html"].startswith("<!DOCTYPE html>") and f'lang="{language}"' in rendered["html"]
    if event != "message":
        # Translated, not the Vietnamese text again.
        assert rendered["subject"] != other["subject"] and rendered["text"] != other["text"]
        marker = "Kính gửi" if language == "vi" else "Dear"
        assert rendered["text"].startswith(marker)
    for key in ("dossier_code", "certificate", "agency"):
        if key in context:
            assert str(context[key]) in rendered["subject"] + rendered["text"]
    # Text is not HTML-escaped; HTML is.
    if event == "message":
        assert "Nội dung & chi tiết" in rendered["text"] and "Nội dung &amp; chi tiết" in rendered["html"]


def test_english_recipient_gets_english_messages(django_capture_on_commit_callbacks):
    user = UserFactory(language="en", full_name="Jane Doe")
    context = {key: SAMPLE[key] for key in EVENTS["dossier.result_ready"].context}
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(user, "dossier.result_ready", context)
    assert notification.subject == f"Dossier {SAMPLE['dossier_code']}: the result is ready"
    message = mail.outbox[0]
    assert message.body.startswith("Dear Jane Doe,")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "View details" in html


def test_missing_context_is_a_programming_error():
    with pytest.raises(ValueError, match="due"):
        notifications.notify(UserFactory(), "deadline.overdue", {"dossier_code": "X", "procedure": "P", "url": "/"})


def _context(event):
    return {key: SAMPLE[key] for key in EVENTS[event].context}


def test_sms_goes_to_the_profile_phone_when_the_event_wants_it(django_capture_on_commit_callbacks):
    sms.outbox.clear()
    profile = CitizenProfileFactory(phone="0912345678")
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(
            profile.user, "dossier.supplement_requested", _context("dossier.supplement_requested")
        )
    assert sorted(notification.deliveries.values_list("channel", "status")) == [
        ("email", "sent"),
        ("in_app", "sent"),
        ("sms", "sent"),
    ]
    assert [m.phone for m in sms.outbox] == ["0912345678"]
    assert SAMPLE["dossier_code"] in sms.outbox[0].text and sms.outbox[0].text.endswith(SAMPLE["url"])
    assert len(sms.outbox[0].text) <= notifications.SMS_MAX_LENGTH


def test_no_phone_no_sms_and_status_change_is_not_an_sms_by_default(django_capture_on_commit_callbacks):
    sms.outbox.clear()
    profile = CitizenProfileFactory(phone="0912345678")
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(profile.user, "dossier.status_changed", _context("dossier.status_changed"))
        notifications.notify(UserFactory(), "dossier.result_ready", _context("dossier.result_ready"))
    assert sms.outbox == []
    assert len(mail.outbox) == 2


# Who can turn off what: (role or None for a citizen, event, channel, turned off?) -> email sent?
@pytest.mark.parametrize(
    ("role", "event", "sent"),
    [
        (None, "dossier.status_changed", False),
        (None, "dossier.result_ready", False),
        (OfficerRole.SPECIALIST, "dossier.assigned", False),
        (OfficerRole.SPECIALIST, "deadline.due_soon", True),
        (OfficerRole.SPECIALIST, "deadline.overdue", True),
        (OfficerRole.LEADER, "deadline.escalated", True),
        (OfficerRole.LEADER, "digest.daily", False),
    ],
)
def test_turning_email_off_matrix(role, event, sent, officer_factory, django_capture_on_commit_callbacks):
    user = officer_factory(role) if role else UserFactory()
    NotificationPreference.objects.create(user=user, event=event, channel="email", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(user, event, _context(event))
    assert notification.deliveries.filter(channel="email").exists() is sent
    assert len(mail.outbox) == (1 if sent else 0)
    assert notification.deliveries.filter(channel="in_app").exists()  # in-app always


# --- the preferences page --------------------------------------------------------------------


def test_account_page_links_to_the_preferences(client):
    client.force_login(UserFactory())
    assert 'href="/account/notifications/"' in client.get("/account/").content.decode()


def test_page_lists_citizen_events_only_for_a_citizen(client, django_assert_max_num_queries):
    client.force_login(UserFactory())
    with django_assert_max_num_queries(8):
        response = client.get("/account/notifications/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Yêu cầu bổ sung hồ sơ" in html and "Hồ sơ quá hạn" not in html


def test_saving_preferences_and_language(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/account/notifications/", {"language": "en", "on": ["dossier.status_changed:sms", "unknown:email"]}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    saved = dict(
        ((e, c), on)
        for e, c, on in NotificationPreference.objects.filter(user=user).values_list("event", "channel", "enabled")
    )
    assert saved[("dossier.status_changed", "sms")] is True
    assert saved[("dossier.status_changed", "email")] is False
    assert ("unknown", "email") not in saved


def test_officer_can_not_turn_off_deadline_alerts(client, officer_factory):
    officer = officer_factory(OfficerRole.SPECIALIST)
    client.force_login(officer)
    html = client.get("/account/notifications/").content.decode()
    assert "Hồ sơ quá hạn" in html and "Bắt buộc với cán bộ" in html
    client.post("/account/notifications/", {"language": "vi", "on": []})
    assert not NotificationPreference.objects.filter(
        user=officer, event__startswith="deadline.", channel="email"
    ).exists()
    assert NotificationPreference.objects.filter(
        user=officer, event="dossier.assigned", channel="email", enabled=False
    ).exists()


def test_bad_language_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/account/notifications/", {"language": "xx", "on": []})
    assert response.status_code == 400 and "Ngôn ngữ không hợp lệ." in response.content.decode()
    user.refresh_from_db()
    assert user.language == "vi" and not NotificationPreference.objects.filter(user=user).exists()


def test_preferences_page_needs_sign_in(client):
    response = client.get("/account/notifications/")
    assert response.status_code == 302 and "login" in response["Location"]
