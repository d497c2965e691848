"""Officers' notes are internal by default (issue 17): what an officer writes to the applicant —
the supplement request's items and message, a refusal, decline, stop or apology reason, a
message field — reaches the applicant; every other note reaches only the agency's officers.

Each channel is read as the applicant (or anyone else) reads it: the dossier page, tracking
(page with the PIN, page signed in, API, the cached public answer), the API detail with a token
and with a session, e-mails, SMS, in-app notifications, webhook payloads and the national sync
message. The officers of the agency still read both, told apart.
"""

import json

import pytest
from django.core import mail

from dossiers import services
from dossiers.core.events import event_append, events_verify
from dossiers.core.machine import TRANSITIONS
from dossiers.core.notes import APPLICANT_EVENT_ACTIONS, event_applicant_note, event_internal_note
from dossiers.models import DossierEvent
from portal.models import Notification, WebhookDelivery
from portal.notifications import sms
from portal.services.national_sync import dossier_sync_message
from portal.services.webhooks import webhook_subscription_create
from tests.dossiers.factories import (
    REVIEW_TEMPLATE,
    TEST_PIN,
    DossierDocumentFactory,
    DossierFactory,
    Team,
    make_pdf,
    refresh,
)
from tests.dossiers.helpers import api_for, officer_api
from tests.factories import CitizenProfileFactory, with_totp

pytestmark = pytest.mark.django_db

# What the officers write: internal (never for the applicant) and public (written to it).
INTERNAL = {
    "receive": "Nội bộ: kiểm tra kỹ bản gốc tại quầy.",
    "assign": "Đề nghị xử lý trong ngày.",
    "supplement": "Nội bộ: người nộp này hay nộp thiếu.",
    "propose": "Hồ sơ hợp lệ, đề nghị cấp.",
    "forward": "Nội bộ: đã rà soát, trình ký.",
    "approve": "Nội bộ: ký trong buổi sáng.",
}
PUBLIC = {
    "receive": "Cảm ơn ông/bà đã nộp hồ sơ trực tuyến.",
    "supplement_item": "Bản chụp căn cước bị mờ, đề nghị chụp lại.",
    "supplement": "Vui lòng bổ sung trong 5 ngày làm việc.",
    "approve": "Hồ sơ đã được phê duyệt, mời ông/bà chờ nhận kết quả.",
}


@pytest.fixture
def applicant():
    profile = CitizenProfileFactory(phone="0912345678")
    return profile.user


@pytest.fixture
def walked(applicant, django_capture_on_commit_callbacks):
    """A dossier taken from reception to approval, every officer writing an internal note and,
    where offered, a message to the applicant; every effect run as on commit."""
    sms.outbox.clear()
    webhook_subscription_create(
        user=applicant,
        url="http://127.0.0.1:9/hook",
        events=["dossier.status_changed", "dossier.supplement_requested"],
    )
    # A workflow with the department head's review, so that the head writes notes twice.
    dossier = DossierFactory(
        applicant=applicant, applicant_email=applicant.email, procedure_version__workflow_steps=REVIEW_TEMPLATE
    )
    DossierDocumentFactory(dossier=dossier)
    team = Team(dossier.receiving_agency)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_receive(
            user=team.reception, dossier_id=dossier.pk, note=INTERNAL["receive"], message=PUBLIC["receive"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_assign(
            user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk, note=INTERNAL["assign"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_request_supplement(
            user=team.specialist,
            dossier_id=dossier.pk,
            items=[{"field": "full_name", "reason": PUBLIC["supplement_item"]}],
            note=INTERNAL["supplement"],
            message=PUBLIC["supplement"],
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_supplement_submit(
            user=applicant, dossier_id=dossier.pk, data={"full_name": "Nguyễn Văn Thử Lại"}, note="Đã bổ sung"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_propose(
            user=team.specialist,
            dossier_id=dossier.pk,
            recommendation="grant",
            result_file=("ket-qua.pdf", make_pdf()),
            note=INTERNAL["propose"],
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_forward(user=team.head, dossier_id=dossier.pk, note=INTERNAL["forward"])
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_approve(
            user=team.leader, dossier_id=dossier.pk, note=INTERNAL["approve"], message=PUBLIC["approve"]
        )
    return refresh(dossier), team


def _leaks(text: str) -> list[str]:
    return [note for note in INTERNAL.values() if note in text]


def test_the_events_keep_the_internal_note_apart_from_the_applicants_text(walked):
    dossier, _team = walked
    events = {e.action: e for e in dossier.events.all()}
    assert (events["assign"].note, events["assign"].public_note) == (INTERNAL["assign"], "")
    assert (events["propose"].note, events["propose"].public_note) == (INTERNAL["propose"], "")
    assert (events["approve"].note, events["approve"].public_note) == (INTERNAL["approve"], PUBLIC["approve"])
    assert events["request_supplement"].public_note == PUBLIC["supplement"]
    # The applicant's own words stay its own (no public_note on its rows).
    assert (events["supplement_submitted"].note, events["supplement_submitted"].public_note) == ("Đã bổ sung", None)
    assert events_verify(codes=[dossier.code]) == []


def test_the_applicants_page_shows_only_what_it_was_told(client, walked):
    dossier, _team = walked
    client.force_login(dossier.applicant)
    body = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert _leaks(body) == []
    assert PUBLIC["receive"] in body and PUBLIC["supplement"] in body and PUBLIC["approve"] in body
    assert "Đã bổ sung" in body


def test_tracking_with_the_pin_signed_in_by_api_and_cached_shows_no_internal_note(client, walked):
    dossier, _team = walked
    with_pin = client.post("/track/", {"code": dossier.code, "pin": TEST_PIN})
    assert with_pin.status_code == 200 and dossier.applicant_name in with_pin.content.decode()
    assert _leaks(with_pin.content.decode()) == [] and PUBLIC["approve"] in with_pin.content.decode()
    anonymous = client.get("/track/", {"code": dossier.code})
    assert anonymous.status_code == 200 and _leaks(anonymous.content.decode()) == []
    api = client.get(f"/api/v1/track/{dossier.code}/", {"pin": TEST_PIN})
    assert api.status_code == 200 and api.json()["personal"] is True and _leaks(api.content.decode()) == []
    # The public answer, computed (hand-written SQL) then served from the shared cache.
    for _time in range(2):
        public = client.get(f"/api/v1/track/{dossier.code}/")
        assert public.status_code == 200 and _leaks(public.content.decode()) == []
    client.force_login(dossier.applicant)
    signed_in = client.get("/track/", {"code": dossier.code})
    assert signed_in.status_code == 200 and _leaks(signed_in.content.decode()) == []


@pytest.mark.parametrize("door", ["token", "session"])
def test_the_api_detail_as_the_applicant_has_no_internal_note(client, walked, door):
    dossier, _team = walked
    if door == "token":
        response = api_for(dossier.applicant).get(f"/api/v1/dossiers/{dossier.code}/")
    else:
        client.force_login(dossier.applicant)
        response = client.get(f"/api/v1/dossiers/{dossier.code}/")
    assert response.status_code == 200
    assert _leaks(response.content.decode()) == []
    timeline = {entry["action"]: entry for entry in response.json()["timeline"]}
    assert timeline["approve"]["note"] == PUBLIC["approve"] and timeline["assign"]["note"] == ""
    assert all(entry["internal_note"] is None for entry in timeline.values())


def test_emails_sms_and_in_app_notices_carry_no_internal_note(walked):
    dossier, _team = walked
    mails = [m for m in mail.outbox if dossier.applicant.email in m.to]
    assert mails, "the applicant was e-mailed"
    for message in mails:
        bodies = [message.subject, message.body, *(content for content, _type in message.alternatives)]
        assert _leaks("\n".join(bodies)) == []
    assert any(PUBLIC["supplement"] in m.body and PUBLIC["supplement_item"] in m.body for m in mails)
    assert any(PUBLIC["approve"] in m.body for m in mails)
    texts = [m.text for m in sms.outbox]
    assert texts and _leaks("\n".join(texts)) == []
    notices = Notification.objects.filter(user=dossier.applicant)
    assert notices.exists()
    assert _leaks("\n".join(f"{n.subject}\n{n.body}" for n in notices)) == []


def test_webhook_payloads_and_the_national_sync_message_carry_no_internal_note(walked):
    dossier, _team = walked
    payloads = list(WebhookDelivery.objects.values_list("payload", flat=True))
    assert payloads, "the applicant's subscription received deliveries"
    assert _leaks(json.dumps(payloads, ensure_ascii=False)) == []
    message = json.dumps(dossier_sync_message(dossier), ensure_ascii=False, default=str)
    assert _leaks(message) == []
    assert PUBLIC["supplement"] in message  # the supplement round names what the applicant was asked


@pytest.mark.parametrize("door", ["page", "api"])
def test_the_agencys_officers_still_read_both_told_apart(client, walked, door):
    dossier, team = walked
    if door == "page":
        client.force_login(with_totp(team.reception))
        body = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
        assert all(note in body for note in INTERNAL.values())
        assert "Ghi chú nội bộ (không gửi người nộp)" in body and "Nội dung gửi người nộp hồ sơ" in body
        assert PUBLIC["approve"] in body
    else:
        response = officer_api(with_totp(team.reception)).get(f"/api/v1/dossiers/{dossier.code}/")
        timeline = {entry["action"]: entry for entry in response.json()["timeline"]}
        assert timeline["assign"]["internal_note"] == INTERNAL["assign"] and timeline["assign"]["note"] == ""
        assert timeline["approve"]["internal_note"] == INTERNAL["approve"]
        assert timeline["approve"]["note"] == PUBLIC["approve"]


# --- reasons written to the applicant, beside an internal note ---------------------------------


@pytest.mark.parametrize("name", ["refuse", "stop", "withdraw_reject"])
def test_a_reason_reaches_the_applicant_and_the_internal_note_does_not(
    client, applicant, django_capture_on_commit_callbacks, name
):
    dossier = DossierFactory(applicant=applicant, applicant_email=applicant.email)
    team = Team(dossier.receiving_agency)
    reason, internal = "Lý do gửi người nộp hồ sơ thử nghiệm.", "Nội bộ: không nói với người nộp."
    if name == "stop":
        services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    if name == "withdraw_reject":
        services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
        services.dossier_withdraw_request(user=applicant, dossier_id=dossier.pk, reason="Tôi muốn rút")
    mail.outbox.clear()
    officer = team.leader if name == "stop" else team.reception
    with django_capture_on_commit_callbacks(execute=True):
        getattr(services, f"dossier_{name}")(user=officer, dossier_id=dossier.pk, reason=reason, note=internal)
    event = dossier.events.order_by("-seq").first()
    assert (event.note, event.public_note) == (internal, reason)
    client.force_login(applicant)
    page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert reason in page and internal not in page
    api = api_for(applicant).get(f"/api/v1/dossiers/{dossier.code}/").content.decode()
    assert reason in api and internal not in api
    notices = "\n".join(f"{n.subject}\n{n.body}" for n in Notification.objects.filter(user=applicant))
    assert internal not in notices
    assert all(internal not in m.body for m in mail.outbox)


# --- the fields say which text goes to the applicant ------------------------------------------


def test_every_officer_note_field_is_internal_and_the_applicants_texts_are_marked():
    to_applicant = {(name, f["name"]) for name, t in TRANSITIONS.items() for f in t.fields if f.get("to_applicant")}
    for name in ("refuse", "decline", "apology", "stop", "withdraw_reject"):
        assert (name, "reason") in to_applicant
    assert ("request_supplement", "items") in to_applicant and ("request_supplement", "message") in to_applicant
    assert ("return_result", "message") in to_applicant and ("send_back", "reason") not in to_applicant
    assert not any(field == "note" for _name, field in to_applicant)
    # The applicant's rows are the ones whose note is its own.
    applicant_actions = {t.action for t in TRANSITIONS.values() if t.performer == "applicant"} - {"submit"}
    assert applicant_actions == APPLICANT_EVENT_ACTIONS


def test_the_api_lists_which_field_goes_to_the_applicant():
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    body = officer_api(with_totp(team.reception)).get(f"/api/v1/dossiers/{dossier.code}/").json()
    fields = {a["name"]: {f["name"]: f for f in a["fields"]} for a in body["available_actions"]}
    assert fields["receive"]["note"]["to_applicant"] is False
    assert fields["receive"]["note"]["label"] == "Ghi chú nội bộ (không gửi người nộp)"
    assert fields["receive"]["message"] == {
        "name": "message",
        "type": "text",
        "required": False,
        "to_applicant": True,
        "label": "Nội dung gửi người nộp hồ sơ",
    }
    assert fields["refuse"]["reason"]["to_applicant"] is True


def test_the_officer_form_says_who_reads_each_text(client):
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    client.force_login(with_totp(team.reception))
    body = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    assert 'data-to-applicant="false"' in body and 'data-to-applicant="true"' in body
    assert "Ghi chú nội bộ (không gửi người nộp)" in body and "Nội dung gửi người nộp hồ sơ" in body


def test_posting_an_action_through_the_api_keeps_the_note_internal(client, applicant):
    dossier = DossierFactory(applicant=applicant)
    team = Team(dossier.receiving_agency)
    response = officer_api(with_totp(team.reception)).post(
        f"/api/v1/dossiers/{dossier.code}/actions/",
        {"action": "receive", "note": INTERNAL["receive"], "message": PUBLIC["receive"]},
        format="json",
    )
    assert response.status_code == 200
    event = dossier.events.get(action="receive")
    assert (event.note, event.public_note) == (INTERNAL["receive"], PUBLIC["receive"])
    client.force_login(applicant)
    body = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert PUBLIC["receive"] in body and INTERNAL["receive"] not in body


# --- events written before the split ----------------------------------------------------------


def test_old_events_read_as_migrated_without_rewriting_the_chain(client, applicant):
    dossier = DossierFactory(applicant=applicant)
    old = [
        event_append(dossier=dossier, action="assign", note="Đề nghị xử lý trong ngày."),
        event_append(dossier=dossier, action="propose", note="Hồ sơ hợp lệ, đề nghị cấp."),
        event_append(dossier=dossier, action="request_supplement", note="Vui lòng bổ sung bản gốc."),
        event_append(dossier=dossier, action="refuse", note="Không thuộc thẩm quyền."),
        event_append(dossier=dossier, action="withdraw_requested", note="Nộp nhầm."),
    ]
    assert all(e.public_note is None for e in DossierEvent.objects.filter(dossier=dossier))
    assert [event_applicant_note(e) for e in old] == [
        "",
        "",
        "Vui lòng bổ sung bản gốc.",
        "Không thuộc thẩm quyền.",
        "Nộp nhầm.",
    ]
    assert [event_internal_note(e) for e in old] == [
        "Đề nghị xử lý trong ngày.",
        "Hồ sơ hợp lệ, đề nghị cấp.",
        "",
        "",
        "",
    ]
    assert events_verify(codes=[dossier.code]) == []
    client.force_login(applicant)
    body = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert "Đề nghị xử lý trong ngày." not in body and "Hồ sơ hợp lệ, đề nghị cấp." not in body
    assert "Không thuộc thẩm quyền." in body


def test_a_declining_proposal_keeps_its_note_internal_and_its_reason_for_the_signed_reply(client, applicant):
    dossier = DossierFactory(applicant=applicant)
    team = Team(dossier.receiving_agency)
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    services.dossier_assign(user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk)
    reason, internal = "Không đủ điều kiện theo khoản 2 Điều 5.", "Nội bộ: đã hỏi ý kiến pháp chế."
    api = officer_api(with_totp(team.specialist))
    # Declining needs the reason for the applicant: an internal note alone is refused.
    refused = api.post(
        f"/api/v1/dossiers/{dossier.code}/actions/",
        {"action": "propose", "recommendation": "decline", "generate": True, "note": internal},
        format="json",
    )
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
    assert not dossier.events.filter(action="propose").exists()
    response = api.post(
        f"/api/v1/dossiers/{dossier.code}/actions/",
        {"action": "propose", "recommendation": "decline", "generate": True, "reason": reason, "note": internal},
        format="json",
    )
    assert response.status_code == 200
    event = dossier.events.get(action="propose")
    assert event.note == internal and event.payload["reason"] == reason and event.public_note == ""
    # Not told at proposal time: the leader has not decided yet.
    client.force_login(applicant)
    page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert reason not in page and internal not in page
