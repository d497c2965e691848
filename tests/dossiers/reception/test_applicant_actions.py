"""Applicant actions after filing: supplement, withdrawal, rating, draft deletion — services, pages, API."""

import datetime as dt
import json
from unittest import mock
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from pypdf import PdfReader
from rest_framework.test import APIClient

from dossiers import actions, services
from dossiers.constants import DossierState, Rating
from dossiers.models import Dossier, DossierDocument, DossierEvent
from portal.models import Notification
from tests.dossiers.factories import (
    DossierDocumentFactory,
    DossierFactory,
    StoredDocumentFactory,
    make_pdf,
    make_png,
)
from tests.factories import OrganisationMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _request_supplement(dossier, *, items, from_state=DossierState.PROCESSING):
    """What the officer workflow (issue 5) writes: the request event, with the dossier locked."""
    with transaction.atomic():
        Dossier.objects.select_for_update().get(pk=dossier.pk)
        dossier.refresh_from_db()
        return services.event_append(
            dossier=dossier,
            action="request_supplement",
            from_state=from_state,
            to_state=DossierState.SUPPLEMENT_REQUESTED,
            note="Hồ sơ còn thiếu",
            payload={"items": items},
        )


def _supplement_dossier(*, from_state=DossierState.PROCESSING, field_item=False, **kwargs):
    dossier = DossierFactory(supplement_requested=True, **kwargs)
    DossierDocumentFactory(dossier=dossier)
    requirement = dossier.procedure_version.documents.first()
    items = [{"requirement_id": requirement.pk, "field": None, "reason": "Bản scan mờ, không đọc được"}]
    if field_item:
        items.append({"requirement_id": None, "field": "full_name", "reason": "Họ tên không khớp giấy chứng sinh"})
    _request_supplement(dossier, items=items, from_state=from_state)
    dossier.refresh_from_db()
    return dossier, requirement


def _snapshot(dossier):
    dossier.refresh_from_db()
    return (
        dossier.state,
        dossier.events_count,
        dossier.paused_minutes,
        dossier.paused_at,
        dossier.form_data,
        dossier.rating,
        DossierEvent.objects.filter(dossier=dossier).count(),
        DossierDocument.objects.filter(dossier=dossier, superseded_at__isnull=True).count(),
    )


def _org_dossier(**traits):
    membership = OrganisationMembershipFactory()
    dossier = DossierFactory(organisation=membership.organisation, applicant=membership.user, **traits)
    return dossier, membership


# --- supplement -------------------------------------------------------------------------------


class TestSupplement:
    def test_upload_and_resubmit_goes_back_to_the_state_of_the_request(self):
        dossier, requirement = _supplement_dossier(from_state=DossierState.RECEIVED)
        result = services.dossier_supplement_submit(
            user=dossier.applicant,
            dossier_id=dossier.pk,
            note="Đã bổ sung bản rõ nét",
            files={requirement.pk: ("to_khai_moi.pdf", make_pdf())},
        )
        dossier.refresh_from_db()
        assert result.state == dossier.state == DossierState.RECEIVED
        assert dossier.status_code == 2
        assert dossier.paused_at is None
        event = DossierEvent.objects.filter(dossier=dossier).order_by("-seq").first()
        assert (event.action, event.from_state, event.to_state) == (
            "supplement_submitted",
            DossierState.SUPPLEMENT_REQUESTED,
            DossierState.RECEIVED,
        )
        assert event.actor == dossier.applicant
        assert event.note == "Đã bổ sung bản rõ nét"
        current = DossierDocument.objects.get(dossier=dossier, requirement=requirement, superseded_at__isnull=True)
        assert event.payload["documents"] == [current.pk]
        assert current.stored.name == "to_khai_moi.pdf"
        assert services.events_verify(codes=[dossier.code]) == []

    def test_back_to_processing_and_form_fields_corrected(self):
        dossier, requirement = _supplement_dossier(field_item=True)
        services.dossier_supplement_submit(
            user=dossier.applicant,
            dossier_id=dossier.pk,
            data={"full_name": "Nguyễn Văn Đúng"},
            files={requirement.pk: ("a.pdf", make_pdf())},
        )
        dossier.refresh_from_db()
        assert dossier.state == DossierState.PROCESSING
        assert dossier.form_data["full_name"] == "Nguyễn Văn Đúng"
        assert dossier.events.order_by("-seq").first().payload["fields"] == ["full_name"]

    def test_document_uploaded_separately_after_the_request_counts(self):
        dossier, requirement = _supplement_dossier()
        services.dossier_document_upload(
            user=dossier.applicant, dossier=dossier, requirement_id=requirement.pk, name="b.pdf", content=make_pdf()
        )
        services.dossier_supplement_submit(user=dossier.applicant, dossier_id=dossier.pk)
        dossier.refresh_from_db()
        assert dossier.state == DossierState.PROCESSING

    def test_document_from_the_store_counts_but_not_the_one_already_attached(self):
        dossier, requirement = _supplement_dossier()
        attached = DossierDocument.objects.get(dossier=dossier, superseded_at__isnull=True).stored
        before = _snapshot(dossier)
        for stored_id in (attached.pk, StoredDocumentFactory().pk, "abc"):
            with pytest.raises(ValidationError) as excinfo:
                services.dossier_supplement_submit(
                    user=dossier.applicant, dossier_id=dossier.pk, from_store={requirement.pk: stored_id}
                )
            assert f"documents[{requirement.pk}]" in excinfo.value.message_dict
        assert _snapshot(dossier) == before
        mine = StoredDocumentFactory(owner=dossier.applicant)
        services.dossier_supplement_submit(
            user=dossier.applicant, dossier_id=dossier.pk, from_store={str(requirement.pk): str(mine.pk)}
        )
        dossier.refresh_from_db()
        assert dossier.state == DossierState.PROCESSING
        assert DossierDocument.objects.get(dossier=dossier, superseded_at__isnull=True).stored == mine

    def test_requested_document_not_replaced_is_refused_per_item(self):
        dossier, requirement = _supplement_dossier()
        before = _snapshot(dossier)
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_supplement_submit(user=dossier.applicant, dossier_id=dossier.pk, note="x")
        messages = excinfo.value.message_dict[f"documents[{requirement.pk}]"]
        assert "Bản scan mờ, không đọc được" in messages[0]
        assert "Tờ khai" in messages[0]
        assert _snapshot(dossier) == before

    def test_bad_form_data_is_refused_with_the_field_and_nothing_changes(self):
        dossier, requirement = _supplement_dossier(field_item=True)
        before = _snapshot(dossier)
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_supplement_submit(
                user=dossier.applicant,
                dossier_id=dossier.pk,
                data={"full_name": "", "unknown": "x"},
                files={requirement.pk: ("a.pdf", make_pdf())},
            )
        errors = excinfo.value.message_dict
        assert "data.full_name" in errors and "data.unknown" in errors
        assert _snapshot(dossier) == before  # the upload rolled back too

    def test_bad_file_is_refused(self):
        dossier, requirement = _supplement_dossier()
        before = _snapshot(dossier)
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_supplement_submit(
                user=dossier.applicant, dossier_id=dossier.pk, files={requirement.pk: ("a.pdf", make_png())}
            )
        assert f"documents[{requirement.pk}]" in excinfo.value.message_dict
        assert _snapshot(dossier) == before

    @pytest.mark.parametrize("data", [["full_name"], "text"])
    def test_data_must_be_an_object(self, data):
        dossier, _ = _supplement_dossier()
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_supplement_submit(user=dossier.applicant, dossier_id=dossier.pk, data=data)
        assert "data" in excinfo.value.message_dict

    @pytest.mark.parametrize("trait", ["received", "processing", "returned", "withdrawn"])
    def test_refused_when_no_supplement_was_requested(self, trait):
        dossier = DossierFactory(**{trait: True})
        before = _snapshot(dossier)
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_supplement_submit(user=dossier.applicant, dossier_id=dossier.pk)
        assert excinfo.value.code == "invalid_state"
        assert _snapshot(dossier) == before

    def test_refused_for_another_user_and_an_officer(self, officer_factory):
        dossier, requirement = _supplement_dossier()
        before = _snapshot(dossier)
        officer = officer_factory("reception", agency=dossier.receiving_agency)
        for intruder in (UserFactory(), officer):
            with pytest.raises(PermissionDenied):
                services.dossier_supplement_submit(
                    user=intruder, dossier_id=dossier.pk, files={requirement.pk: ("a.pdf", make_pdf())}
                )
        assert _snapshot(dossier) == before

    def test_organisation_member_may_supplement_and_removed_member_may_not(self):
        dossier, membership = _org_dossier(supplement_requested=True)
        requirement = dossier.procedure_version.documents.first()
        _request_supplement(dossier, items=[{"requirement_id": requirement.pk, "field": None, "reason": "Thiếu"}])
        colleague = OrganisationMembershipFactory(organisation=membership.organisation).user
        membership.delete()
        before = _snapshot(dossier)
        with pytest.raises(PermissionDenied):
            services.dossier_supplement_submit(
                user=dossier.applicant, dossier_id=dossier.pk, files={requirement.pk: ("a.pdf", make_pdf())}
            )
        assert _snapshot(dossier) == before
        services.dossier_supplement_submit(
            user=colleague, dossier_id=dossier.pk, files={requirement.pk: ("a.pdf", make_pdf())}
        )
        dossier.refresh_from_db()
        assert dossier.state == DossierState.PROCESSING
        stored = DossierDocument.objects.get(dossier=dossier, superseded_at__isnull=True).stored
        assert stored.organisation == membership.organisation

    def test_paused_working_minutes_are_added_and_the_due_date_moves(self):
        paused_at = dt.datetime(2026, 11, 16, 9, 0, tzinfo=HCM)  # Monday
        now = dt.datetime(2026, 11, 17, 9, 0, tzinfo=HCM)  # Tuesday
        due_at = dt.datetime(2026, 11, 18, 16, 0, tzinfo=HCM)  # Wednesday
        dossier, requirement = _supplement_dossier(paused_at=paused_at, due_at=due_at, paused_minutes=30)
        services.dossier_supplement_submit(
            user=dossier.applicant, dossier_id=dossier.pk, files={requirement.pk: ("a.pdf", make_pdf())}, now=now
        )
        dossier.refresh_from_db()
        # Monday 09:00–11:30 and 13:00–17:00, Tuesday 07:30–09:00: 150 + 240 + 90 working minutes.
        assert dossier.paused_minutes == 30 + 480
        assert dossier.paused_at is None
        # One working day later: Thursday 16:00.
        assert dossier.due_at == dt.datetime(2026, 11, 19, 16, 0, tzinfo=HCM)
        assert dossier.events.order_by("-seq").first().payload["paused_minutes"] == 480

    def test_pause_over_a_weekend_counts_only_working_time(self):
        paused_at = dt.datetime(2026, 11, 20, 16, 0, tzinfo=HCM)  # Friday
        now = dt.datetime(2026, 11, 23, 8, 0, tzinfo=HCM)  # Monday
        dossier, requirement = _supplement_dossier(paused_at=paused_at)
        services.dossier_supplement_submit(
            user=dossier.applicant, dossier_id=dossier.pk, files={requirement.pk: ("a.pdf", make_pdf())}, now=now
        )
        dossier.refresh_from_db()
        assert dossier.paused_minutes == 60 + 30

    def test_request_items_are_read_with_labels(self):
        dossier, requirement = _supplement_dossier(field_item=True)
        request = services.supplement_request_get(dossier)
        assert [(i.label, i.reason) for i in request.items] == [
            ("Tờ khai", "Bản scan mờ, không đọc được"),
            ("Họ và tên", "Họ tên không khớp giấy chứng sinh"),
        ]
        assert request.requirement_ids == [requirement.pk]
        assert request.field_names == ["full_name"]
        assert request.from_state == DossierState.PROCESSING

    def test_notifies_the_applicant_on_commit_only(self, django_capture_on_commit_callbacks):
        dossier, requirement = _supplement_dossier()
        with django_capture_on_commit_callbacks(execute=True):
            services.dossier_supplement_submit(
                user=dossier.applicant, dossier_id=dossier.pk, files={requirement.pk: ("a.pdf", make_pdf())}
            )
        notification = Notification.objects.get(user=dossier.applicant)
        assert notification.dossier_code == dossier.code
        assert "Đang xử lý" in notification.subject
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [dossier.applicant.email]


# --- withdrawal ------------------------------------------------------------------------------


class TestWithdraw:
    def test_not_yet_received_is_withdrawn_at_once(self):
        dossier = DossierFactory()
        services.dossier_withdraw_request(user=dossier.applicant, dossier_id=dossier.pk, reason="Nộp nhầm thủ tục")
        dossier.refresh_from_db()
        assert dossier.state == DossierState.WITHDRAWN and dossier.status_code == 7
        event = dossier.events.get()
        assert (event.action, event.from_state, event.note) == ("withdraw_requested", "submitted", "Nộp nhầm thủ tục")

    @pytest.mark.parametrize("trait", ["received", "processing", "supplement_requested", "payment_requested"])
    def test_received_dossier_asks_the_agency(self, trait):
        dossier = DossierFactory(**{trait: True})
        services.dossier_withdraw_request(user=dossier.applicant, dossier_id=dossier.pk, reason="Không còn nhu cầu")
        dossier.refresh_from_db()
        assert dossier.state == DossierState.WITHDRAWAL_REQUESTED
        assert dossier.events.get().to_state == DossierState.WITHDRAWAL_REQUESTED

    @pytest.mark.parametrize("trait", ["draft", "returned", "withdrawn", "refused", "stopped"])
    def test_refused_in_draft_and_final_states(self, trait):
        dossier = DossierFactory(**{trait: True})
        before = _snapshot(dossier)
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_withdraw_request(user=dossier.applicant, dossier_id=dossier.pk, reason="Không còn nhu cầu")
        assert excinfo.value.code == "invalid_state"
        assert _snapshot(dossier) == before

    def test_asking_twice_is_refused(self):
        dossier = DossierFactory(processing=True)
        services.dossier_withdraw_request(user=dossier.applicant, dossier_id=dossier.pk, reason="Không còn nhu cầu")
        before = _snapshot(dossier)
        with pytest.raises(ValidationError, match="đã gửi yêu cầu rút"):
            services.dossier_withdraw_request(user=dossier.applicant, dossier_id=dossier.pk, reason="Lần thứ hai")
        assert _snapshot(dossier) == before

    @pytest.mark.parametrize("reason", ["", "   ", "abc", None, "x" * 2001])
    def test_reason_is_required(self, reason):
        dossier = DossierFactory(processing=True)
        before = _snapshot(dossier)
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_withdraw_request(user=dossier.applicant, dossier_id=dossier.pk, reason=reason)
        assert "reason" in excinfo.value.message_dict
        assert _snapshot(dossier) == before

    def test_refused_for_others_and_removed_members(self):
        dossier, membership = _org_dossier(processing=True)
        membership.delete()
        before = _snapshot(dossier)
        for intruder in (UserFactory(), dossier.applicant):
            with pytest.raises(PermissionDenied):
                services.dossier_withdraw_request(user=intruder, dossier_id=dossier.pk, reason="Không còn nhu cầu")
        assert _snapshot(dossier) == before

    def test_notification_not_sent_when_the_transaction_rolls_back(self, django_capture_on_commit_callbacks):
        dossier = DossierFactory(processing=True)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    services.dossier_withdraw_request(
                        user=dossier.applicant, dossier_id=dossier.pk, reason="Không còn nhu cầu"
                    )
                    raise RuntimeError("boom")
            except RuntimeError:
                pass
        assert callbacks == []
        assert not Notification.objects.exists()
        assert mail.outbox == []
        dossier.refresh_from_db()
        assert dossier.state == DossierState.PROCESSING


class TestDraftDelete:
    def test_applicant_deletes_a_draft(self):
        dossier = DossierFactory(draft=True)
        DossierDocumentFactory(dossier=dossier)
        services.dossier_draft_delete(user=dossier.applicant, dossier_id=dossier.pk)
        assert not Dossier.objects.filter(pk=dossier.pk).exists()

    def test_submitted_dossier_is_not_deleted(self):
        dossier = DossierFactory()
        with pytest.raises(ValidationError):
            services.dossier_draft_delete(user=dossier.applicant, dossier_id=dossier.pk)
        assert Dossier.objects.filter(pk=dossier.pk).exists()

    def test_other_user_cannot_delete(self):
        dossier = DossierFactory(draft=True)
        with pytest.raises(PermissionDenied):
            services.dossier_draft_delete(user=UserFactory(), dossier_id=dossier.pk)
        with pytest.raises(PermissionDenied):
            services.dossier_draft_delete(user=dossier.applicant, dossier_id=dossier.pk + 10_000)
        assert Dossier.objects.filter(pk=dossier.pk).exists()


# --- rating ----------------------------------------------------------------------------------


class TestRate:
    def test_rate_once(self):
        dossier = DossierFactory(returned=True)
        services.dossier_rate(
            user=dossier.applicant, dossier_id=dossier.pk, rating=Rating.VERY_SATISFIED, comment="  Nhanh chóng "
        )
        dossier.refresh_from_db()
        assert (dossier.rating, dossier.rating_comment) == ("very_satisfied", "Nhanh chóng")
        assert dossier.rated_at is not None
        assert dossier.state == DossierState.RETURNED
        event = dossier.events.get()
        assert (event.action, event.payload) == ("rated", {"rating": "very_satisfied"})
        before = _snapshot(dossier)
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_rate(user=dossier.applicant, dossier_id=dossier.pk, rating=Rating.DISSATISFIED)
        assert excinfo.value.code == "invalid_state"
        assert "một lần" in excinfo.value.messages[0]
        assert _snapshot(dossier) == before

    @pytest.mark.parametrize("trait", ["received", "processing", "resolved", "withdrawn"])
    def test_only_after_the_result_is_returned(self, trait):
        dossier = DossierFactory(**{trait: True})
        before = _snapshot(dossier)
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_rate(user=dossier.applicant, dossier_id=dossier.pk, rating=Rating.SATISFIED)
        assert excinfo.value.code == "invalid_state"
        assert _snapshot(dossier) == before

    @pytest.mark.parametrize(
        ("rating", "comment", "field"),
        [("", "", "rating"), ("excellent", "", "rating"), (None, "", "rating"), ("satisfied", "x" * 2001, "comment")],
    )
    def test_bad_input(self, rating, comment, field):
        dossier = DossierFactory(returned=True)
        before = _snapshot(dossier)
        with pytest.raises(ValidationError) as excinfo:
            services.dossier_rate(user=dossier.applicant, dossier_id=dossier.pk, rating=rating, comment=comment)
        assert field in excinfo.value.message_dict
        assert _snapshot(dossier) == before

    def test_permission_matrix(self, officer_factory):
        dossier, membership = _org_dossier(returned=True)
        colleague = OrganisationMembershipFactory(organisation=membership.organisation).user
        officer = officer_factory("reception", agency=dossier.receiving_agency)
        membership.delete()
        for intruder in (UserFactory(), officer, dossier.applicant):
            with pytest.raises(PermissionDenied):
                services.dossier_rate(user=intruder, dossier_id=dossier.pk, rating=Rating.SATISFIED)
        services.dossier_rate(user=colleague, dossier_id=dossier.pk, rating=Rating.SATISFIED)
        dossier.refresh_from_db()
        assert dossier.rating == Rating.SATISFIED


# --- offered actions and the submit notification ------------------------------------------------


@pytest.mark.parametrize(
    ("trait", "expected"),
    [
        ("supplement_requested", {"supplement", "withdraw"}),
        ("processing", {"withdraw"}),
        ("returned", {"rate"}),
        ("withdrawn", set()),
        ("draft", set()),
    ],
)
def test_available_actions_for_the_applicant_and_a_stranger(trait, expected):
    dossier = DossierFactory(**{trait: True})
    assert (
        set(actions.available_actions(user=dossier.applicant, dossier=dossier))
        & {
            "supplement",
            "withdraw",
            "rate",
        }
        == expected
    )
    assert not set(actions.available_actions(user=UserFactory(), dossier=dossier)) & {"supplement", "withdraw", "rate"}


def test_registered_actions_perform_the_services():
    dossier = DossierFactory(returned=True)
    actions.action_get("rate").perform(user=dossier.applicant, dossier=dossier, params={"rating": "satisfied"})
    dossier.refresh_from_db()
    assert dossier.rating == "satisfied"


def test_submitting_notifies_in_app_without_a_second_email(django_capture_on_commit_callbacks):
    dossier = DossierFactory(draft=True, form_data={"full_name": "Nguyễn Văn Thử"})
    DossierDocumentFactory(dossier=dossier)
    with mock.patch("dossiers.core.pipelines.acknowledgement_enqueue") as render:
        with django_capture_on_commit_callbacks(execute=True):
            dossier, _pin = services.dossier_submit(user=dossier.applicant, dossier_id=dossier.pk, declaration=True)
    assert render.called  # the acknowledgement's task, whose first step records the notice:
    assert not Notification.objects.filter(user=dossier.applicant).exists()
    from dossiers.services.applicant import dossier_notify_submitted

    assert dossier_notify_submitted(dossier_id=dossier.pk) is True
    assert dossier_notify_submitted(dossier_id=dossier.pk) is False  # once
    notification = Notification.objects.get(user=dossier.applicant)
    assert notification.subject == f"Đã nộp hồ sơ {dossier.code}"
    assert notification.url == f"/dossiers/{dossier.code}/"
    assert mail.outbox == []


# --- pages -----------------------------------------------------------------------------------


class TestPages:
    def test_supplement_page_shows_items_and_reasons(self, client):
        dossier, requirement = _supplement_dossier(field_item=True)
        client.force_login(dossier.applicant)
        response = client.get(f"/dossiers/{dossier.code}/supplement/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Bản scan mờ, không đọc được" in html
        assert "Họ tên không khớp giấy chứng sinh" in html
        assert f'name="documents[{requirement.pk}]"' in html
        assert 'name="data-full_name"' in html

    def test_supplement_post_redirect_get(self, client):
        dossier, requirement = _supplement_dossier(field_item=True)
        client.force_login(dossier.applicant)
        response = client.post(
            f"/dossiers/{dossier.code}/supplement/",
            {
                "data-full_name": "Trần Thị Mới",
                "note": "Đã sửa",
                f"documents[{requirement.pk}]": SimpleUploadedFile("moi.pdf", make_pdf(), "application/pdf"),
            },
        )
        assert response.status_code == 302
        dossier.refresh_from_db()
        assert dossier.state == DossierState.PROCESSING
        assert dossier.form_data["full_name"] == "Trần Thị Mới"
        assert response["Location"] in (f"/dossiers/{dossier.code}/", f"/dossiers/{dossier.code}/supplement/")

    def test_supplement_page_offers_the_store(self, client):
        dossier, requirement = _supplement_dossier()
        mine = StoredDocumentFactory(owner=dossier.applicant, title="Tờ khai bản mới")
        StoredDocumentFactory(title="Của người khác")
        client.force_login(dossier.applicant)
        html = client.get(f"/dossiers/{dossier.code}/supplement/").content.decode()
        assert f'<option value="{mine.pk}"' in html and "Của người khác" not in html
        response = client.post(f"/dossiers/{dossier.code}/supplement/", {f"from_store[{requirement.pk}]": mine.pk})
        assert response.status_code == 302
        dossier.refresh_from_db()
        assert dossier.state == DossierState.PROCESSING

    def test_supplement_photos_from_the_camera_become_one_pdf(self, client):
        """Issue 25: the supplement page takes camera photos as the filing wizard does."""
        dossier, requirement = _supplement_dossier()
        requirement.accepted_types = ["application/pdf", "image/jpeg", "image/png"]
        requirement.save(update_fields=["accepted_types"])
        client.force_login(dossier.applicant)
        html = client.get(f"/dossiers/{dossier.code}/supplement/").content.decode()
        assert f'name="photos[{requirement.pk}]" accept="image/*" capture="environment"' in html
        photos = [SimpleUploadedFile(f"trang-{n}.png", make_png(), "image/png") for n in (1, 2)]
        response = client.post(f"/dossiers/{dossier.code}/supplement/", {f"photos[{requirement.pk}]": photos})
        assert response.status_code == 302
        dossier.refresh_from_db()
        assert dossier.state == DossierState.PROCESSING
        current = DossierDocument.objects.get(dossier=dossier, requirement=requirement, superseded_at__isnull=True)
        assert current.stored.mime_type == "application/pdf" and current.stored.name.endswith("-anh-chup.pdf")
        assert len(PdfReader(current.stored.file.open("rb")).pages) == 2

    def test_supplement_refuses_a_bad_photo_and_a_file_with_photos(self, client):
        dossier, requirement = _supplement_dossier()
        requirement.accepted_types = ["application/pdf", "image/jpeg", "image/png"]
        requirement.save(update_fields=["accepted_types"])
        client.force_login(dossier.applicant)
        before = _snapshot(dossier)
        bad = [
            SimpleUploadedFile("trang-1.png", make_png(), "image/png"),
            SimpleUploadedFile("trang-2.png", make_pdf(), "image/png"),
        ]
        response = client.post(f"/dossiers/{dossier.code}/supplement/", {f"photos[{requirement.pk}]": bad})
        assert response.status_code == 400
        assert "Ảnh thứ 2 (“trang-2.png”) không phải ảnh JPEG hay PNG" in response.content.decode()
        both = {
            f"photos[{requirement.pk}]": [SimpleUploadedFile("a.png", make_png(), "image/png")],
            f"documents[{requirement.pk}]": SimpleUploadedFile("moi.pdf", make_pdf(), "application/pdf"),
        }
        response = client.post(f"/dossiers/{dossier.code}/supplement/", both)
        assert response.status_code == 400
        assert "không gửi cả hai" in response.content.decode()
        assert _snapshot(dossier) == before

    def test_supplement_post_without_the_document_is_400(self, client):
        dossier, requirement = _supplement_dossier()
        client.force_login(dossier.applicant)
        response = client.post(f"/dossiers/{dossier.code}/supplement/", {"note": "x"})
        assert response.status_code == 400
        assert "Chưa bổ sung giấy tờ" in response.content.decode()
        dossier.refresh_from_db()
        assert dossier.state == DossierState.SUPPLEMENT_REQUESTED

    def test_supplement_post_with_an_invalid_field_is_400(self, client):
        dossier, requirement = _supplement_dossier(field_item=True)
        client.force_login(dossier.applicant)
        response = client.post(f"/dossiers/{dossier.code}/supplement/", {"data-full_name": ""})
        assert response.status_code == 400

    def test_the_supplement_error_summary_links_each_error_and_takes_the_focus(self, client):
        dossier, requirement = _supplement_dossier(field_item=True)
        client.force_login(dossier.applicant)
        url = f"/dossiers/{dossier.code}/supplement/"
        page = client.get(url).content.decode()
        assert 'id="error-summary"' not in page and "<title>Lỗi:" not in page
        response = client.post(url, {"data-full_name": ""})
        assert response.status_code == 400
        tree = lxml.html.fromstring(response.content.decode())
        assert tree.findtext(".//title").startswith("Lỗi: Bổ sung hồ sơ")
        summary = tree.get_element_by_id("error-summary")
        assert summary.get("tabindex") == "-1" and summary.get("role") == "alert"
        links = {a.get("href"): a.text_content() for a in summary.iter("a")}
        assert "#id_data-full_name" in links and tree.get_element_by_id("id_data-full_name") is not None
        # Without the document asked for: the link goes to its upload input.
        response = client.post(url, {"data-full_name": "Nguyễn Văn Sửa"})
        assert response.status_code == 400
        tree = lxml.html.fromstring(response.content.decode())
        links = {a.get("href"): a.text_content() for a in tree.get_element_by_id("error-summary").iter("a")}
        assert "Chưa bổ sung giấy tờ" in links[f"#doc-{requirement.pk}"]
        assert tree.get_element_by_id(f"doc-{requirement.pk}").get("type") == "file"

    @pytest.mark.parametrize("page", ["supplement", "withdraw", "rate"])
    def test_pages_are_404_for_others_and_ask_anonymous_to_sign_in(self, client, page, officer_factory):
        dossier, _ = _supplement_dossier()
        assert client.get(f"/dossiers/{dossier.code}/{page}/").status_code == 302
        for intruder in (UserFactory(), with_totp(officer_factory("reception", agency=dossier.receiving_agency))):
            client.force_login(intruder)
            assert client.get(f"/dossiers/{dossier.code}/{page}/").status_code == 404
            assert client.post(f"/dossiers/{dossier.code}/{page}/", {"reason": "Không còn nhu cầu"}).status_code == 404
        assert client.get(f"/dossiers/KHONG-CO/{page}/").status_code == 404
        dossier.refresh_from_db()
        assert dossier.state == DossierState.SUPPLEMENT_REQUESTED

    def test_withdraw_page(self, client):
        dossier = DossierFactory(processing=True)
        client.force_login(dossier.applicant)
        assert client.get(f"/dossiers/{dossier.code}/withdraw/").status_code == 200
        response = client.post(f"/dossiers/{dossier.code}/withdraw/", {"reason": "Không còn nhu cầu"})
        assert response.status_code == 400
        assert "xác nhận" in response.content.decode()
        response = client.post(f"/dossiers/{dossier.code}/withdraw/", {"reason": "abc", "confirm": "1"})
        assert response.status_code == 400
        assert "lý do" in response.content.decode()
        response = client.post(f"/dossiers/{dossier.code}/withdraw/", {"reason": "Không còn nhu cầu", "confirm": "1"})
        assert response.status_code == 302
        dossier.refresh_from_db()
        assert dossier.state == DossierState.WITHDRAWAL_REQUESTED
        response = client.post(f"/dossiers/{dossier.code}/withdraw/", {"reason": "Lần nữa nhé", "confirm": "1"})
        assert response.status_code == 400

    def test_rate_page(self, client):
        dossier = DossierFactory(returned=True)
        client.force_login(dossier.applicant)
        html = client.get(f"/dossiers/{dossier.code}/rate/").content.decode()
        assert "Rất hài lòng" in html and "Không hài lòng" in html
        assert client.post(f"/dossiers/{dossier.code}/rate/", {"rating": "wow"}).status_code == 400
        response = client.post(f"/dossiers/{dossier.code}/rate/", {"rating": "satisfied", "comment": "Tốt"})
        assert response.status_code == 302
        response = client.post(f"/dossiers/{dossier.code}/rate/", {"rating": "dissatisfied"})
        assert response.status_code == 400
        assert "một lần" in response.content.decode()
        dossier.refresh_from_db()
        assert dossier.rating == "satisfied"

    def test_draft_delete_page(self, client):
        dossier = DossierFactory(draft=True)
        client.force_login(UserFactory())
        assert client.post(f"/dossiers/drafts/{dossier.pk}/delete/").status_code == 404
        client.force_login(dossier.applicant)
        assert client.get(f"/dossiers/drafts/{dossier.pk}/delete/").status_code == 405
        assert client.post(f"/dossiers/drafts/{dossier.pk}/delete/").status_code == 302
        assert not Dossier.objects.filter(pk=dossier.pk).exists()


# --- API -------------------------------------------------------------------------------------


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


class TestApi:
    def test_supplement_multipart(self):
        dossier, requirement = _supplement_dossier(field_item=True)
        response = _api(dossier.applicant).post(
            f"/api/v1/dossiers/{dossier.code}/supplement/",
            {
                "data": json.dumps({"full_name": "Lê Văn API"}),
                "note": "Bổ sung qua API",
                f"documents[{requirement.pk}]": SimpleUploadedFile("api.pdf", make_pdf(), "application/pdf"),
            },
            format="multipart",
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "processing"
        assert response.json()["status_code"] == 4
        dossier.refresh_from_db()
        assert dossier.form_data["full_name"] == "Lê Văn API"

    def test_supplement_errors(self):
        dossier, requirement = _supplement_dossier()
        api = _api(dossier.applicant)
        url = f"/api/v1/dossiers/{dossier.code}/supplement/"
        response = api.post(url, {"data": "{not json"}, format="multipart")
        assert response.status_code == 400 and "data" in response.json()["error"]["fields"]
        response = api.post(url, {}, format="multipart")
        assert response.status_code == 400
        assert f"documents[{requirement.pk}]" in response.json()["error"]["fields"]
        response = api.post(url, {"documents[999999]": SimpleUploadedFile("a.pdf", make_pdf())}, format="multipart")
        assert response.status_code == 400
        response = api.post(url, {"from_store": "[1]"}, format="multipart")
        assert response.status_code == 400 and "from_store" in response.json()["error"]["fields"]
        other = DossierFactory(processing=True, applicant=dossier.applicant)
        response = api.post(f"/api/v1/dossiers/{other.code}/supplement/", {}, format="multipart")
        assert response.status_code == 409
        assert "yêu cầu bổ sung" in response.json()["detail"]
        dossier.refresh_from_db()
        assert dossier.state == DossierState.SUPPLEMENT_REQUESTED

    def test_withdraw(self):
        dossier = DossierFactory()
        api = _api(dossier.applicant)
        url = f"/api/v1/dossiers/{dossier.code}/withdraw/"
        assert api.post(url, {"reason": "abc"}, format="json").status_code == 400
        assert api.post(url, {"reason": ["x"]}, format="json").status_code == 400
        response = api.post(url, {"reason": "Nộp nhầm thủ tục"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "withdrawn"
        assert api.post(url, {"reason": "Nộp nhầm thủ tục"}, format="json").status_code == 409

    def test_rating(self):
        dossier = DossierFactory(returned=True)
        api = _api(dossier.applicant)
        url = f"/api/v1/dossiers/{dossier.code}/rating/"
        assert api.post(url, {"rating": "great"}, format="json").status_code == 400
        assert api.post(url, {"rating": "satisfied", "comment": 5}, format="json").status_code == 400
        response = api.post(url, {"rating": "very_satisfied", "comment": "Tốt"}, format="json")
        assert response.status_code == 200 and response.json()["rating"] == "very_satisfied"
        response = api.post(url, {"rating": "dissatisfied"}, format="json")
        assert response.status_code == 409
        assert "một lần" in response.json()["detail"]

    def test_generic_actions_endpoint(self, officer_factory):
        returned = DossierFactory(returned=True)
        api = _api(returned.applicant)
        url = f"/api/v1/dossiers/{returned.code}/actions/"
        assert api.post(url, {"action": "fly"}, format="json").status_code == 400
        assert api.post(url, {"action": ["rate"]}, format="json").status_code == 400
        assert api.post(url, {"action": "rate", "rating": "nope"}, format="json").status_code == 400
        response = api.post(url, {"action": "rate", "rating": "satisfied"}, format="json")
        assert response.status_code == 200 and response.json()["rating"] == "satisfied"
        assert api.post(url, {"action": "rate", "rating": "satisfied"}, format="json").status_code == 409
        assert api.post(url, {"action": "withdraw", "reason": "Không cần nữa"}, format="json").status_code == 409
        officer = with_totp(officer_factory("reception", agency=returned.receiving_agency))
        session = APIClient()
        session.force_login(officer)  # an officer of the agency (second factor passed) sees it, may not rate
        assert session.post(url, {"action": "rate", "rating": "satisfied"}, format="json").status_code == 403
        assert _api(UserFactory()).post(url, {"action": "rate", "rating": "satisfied"}).status_code == 404

        dossier, requirement = _supplement_dossier()
        response = _api(dossier.applicant).post(
            f"/api/v1/dossiers/{dossier.code}/actions/",
            {
                "action": "supplement",
                "note": "Qua API chung",
                f"documents[{requirement.pk}]": SimpleUploadedFile("c.pdf", make_pdf(), "application/pdf"),
            },
            format="multipart",
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "processing"

    @pytest.mark.parametrize("action", ["supplement", "withdraw", "rating"])
    def test_not_found_for_others(self, action):
        dossier, _ = _supplement_dossier()
        response = _api(UserFactory()).post(
            f"/api/v1/dossiers/{dossier.code}/{action}/", {"reason": "Không còn nhu cầu", "data": "{"}
        )
        assert response.status_code == 404
        assert APIClient().post(f"/api/v1/dossiers/{dossier.code}/{action}/", {}).status_code in (401, 403)
        dossier.refresh_from_db()
        assert dossier.state == DossierState.SUPPLEMENT_REQUESTED
