"""Slips released to the applicant carry the agency seal: rendering form 01 (or the submission
acknowledgement) queues its signature on commit when the receiving agency has a seal; without one
the slip stays unsigned. Signing is done once."""

import io

import pytest
from celery import states
from celery.result import EagerResult
from django.conf import settings
from pyhanko.pdf_utils.reader import PdfFileReader

from dossiers import services
from dossiers import tasks as dossier_tasks
from dossiers.constants import SlipKind
from dossiers.core import pipelines
from dossiers.models import Slip
from dossiers.services.sealing import slip_seal
from portal.constants import OfficerRole
from signing.constants import Verdict
from signing.services.verification import pdf_verify
from tests.dossiers.factories import DossierFactory
from tests.factories import OfficerMembershipFactory, with_totp

pytestmark = pytest.mark.django_db


def _receive(dossier, capture):
    officer = OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.RECEPTION).user
    with capture(execute=True):
        services.dossier_receive(user=officer, dossier_id=dossier.pk)
    return Slip.objects.get(dossier=dossier, kind=SlipKind.RECEIPT)


def _pdf(slip) -> bytes:
    with slip.file.open("rb") as handle:
        return handle.read()


def test_form_01_of_an_agency_with_a_seal_carries_one_valid_signature(
    import_identity, trust_store, django_capture_on_commit_callbacks
):
    dossier = DossierFactory()
    import_identity(agency=dossier.receiving_agency, display_name="UBND xã Thử")
    slip = _receive(dossier, django_capture_on_commit_callbacks)
    pdf = _pdf(slip)
    assert len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures) == 1
    [report] = pdf_verify(pdf=pdf)
    assert report.verdict == Verdict.VALID
    assert slip.context["signed_sha256"]
    # A retried task signs nothing again.
    assert slip_seal(slip_id=slip.pk) is False
    slip.refresh_from_db()
    assert len(PdfFileReader(io.BytesIO(_pdf(slip))).embedded_signatures) == 1


def test_form_01_of_an_agency_without_a_seal_stays_unsigned(django_capture_on_commit_callbacks):
    slip = _receive(DossierFactory(), django_capture_on_commit_callbacks)
    assert not PdfFileReader(io.BytesIO(_pdf(slip))).embedded_signatures
    assert "signed_sha256" not in slip.context
    assert slip_seal(slip_id=slip.pk) is False


def test_the_acknowledgement_is_sealed_too(import_identity, trust_store, django_capture_on_commit_callbacks):
    dossier = DossierFactory()
    import_identity(agency=dossier.receiving_agency)
    with django_capture_on_commit_callbacks(execute=True):
        pipelines.acknowledgement_enqueue(dossier_id=dossier.pk)
    slip = Slip.objects.get(dossier=dossier, kind=SlipKind.ACKNOWLEDGEMENT)
    [report] = pdf_verify(pdf=_pdf(slip))
    assert report.verdict == Verdict.VALID


@pytest.fixture
def seal_not_yet_applied(monkeypatch):
    """The signing queue has not run yet: the seal's task is queued and nothing more (the
    pipeline's next steps see the slip unsealed)."""
    queued = []

    def queue(args=None, kwargs=None, **options):
        queued.append(args[0])
        return EagerResult("seal-not-run", args[0], states.SUCCESS)

    monkeypatch.setattr(dossier_tasks.seal_slip, "apply", queue)
    return queued


def _downloads(client, user, slip, **headers):
    client.force_login(user)
    return client.get(f"/files/slips/{slip.pk}/", **headers)


def _api_slip_ids(client, user, dossier) -> list[int]:
    client.force_login(user)
    response = client.get(f"/api/v1/dossiers/{dossier.code}/")
    assert response.status_code == 200
    return [row["id"] for row in response.json()["slips"]]


def test_a_slip_is_held_back_from_the_applicant_until_the_seal_lands(
    client, import_identity, trust_store, django_capture_on_commit_callbacks, seal_not_yet_applied
):
    dossier = DossierFactory()
    import_identity(agency=dossier.receiving_agency)
    slip = _receive(dossier, django_capture_on_commit_callbacks)
    assert seal_not_yet_applied == [slip.pk] and "signed_sha256" not in slip.context
    applicant = dossier.applicant

    held = _downloads(client, applicant, slip)
    assert held.status_code == 409 and held["Retry-After"] == "10"
    assert "đang được ký số" in held.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _downloads(client, applicant, slip).content.decode()
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert "being signed" in english and "try again" in english
    page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert f"/files/slips/{slip.pk}/" not in page and "slip-awaiting-seal" in page
    assert slip.pk not in _api_slip_ids(client, applicant, dossier)

    # The agency's officers see it at once.
    officer = with_totp(OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.RECEPTION).user)
    assert _downloads(client, officer, slip).status_code == 200
    assert slip.pk in _api_slip_ids(client, officer, dossier)

    # The seal lands: the applicant now gets the signed slip.
    assert slip_seal(slip_id=slip.pk) is True
    response = _downloads(client, applicant, slip)
    assert response.status_code == 200
    assert len(PdfFileReader(io.BytesIO(b"".join(response.streaming_content))).embedded_signatures) == 1
    assert f"/files/slips/{slip.pk}/" in client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert slip.pk in _api_slip_ids(client, applicant, dossier)


def test_the_acknowledgement_waits_for_the_seal_on_the_confirmation_page(
    client, import_identity, trust_store, django_capture_on_commit_callbacks, seal_not_yet_applied
):
    dossier = DossierFactory()
    import_identity(agency=dossier.receiving_agency)
    with django_capture_on_commit_callbacks(execute=True):
        pipelines.acknowledgement_enqueue(dossier_id=dossier.pk)
    slip = Slip.objects.get(dossier=dossier, kind=SlipKind.ACKNOWLEDGEMENT)
    client.force_login(dossier.applicant)
    page = client.get(f"/dossiers/{dossier.code}/submitted/").content.decode()
    assert 'id="ack-pending"' in page and f"/files/slips/{slip.pk}/" not in page
    slip_seal(slip_id=slip.pk)
    assert f"/files/slips/{slip.pk}/" in client.get(f"/dossiers/{dossier.code}/submitted/").content.decode()


def test_an_agency_without_a_seal_releases_its_slip_at_once(
    client, django_capture_on_commit_callbacks, seal_not_yet_applied
):
    dossier = DossierFactory()
    slip = _receive(dossier, django_capture_on_commit_callbacks)
    assert seal_not_yet_applied == []
    response = _downloads(client, dossier.applicant, slip)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")
    assert f"/files/slips/{slip.pk}/" in client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert slip.pk in _api_slip_ids(client, dossier.applicant, dossier)


def test_the_acknowledgement_mail_carries_the_sealed_pdf_and_leaves_once(
    import_identity, trust_store, seal_not_yet_applied, mailoutbox, django_capture_on_commit_callbacks
):
    """With a seal, the mail waits for the signing task, after which it leaves; never the unsealed copy."""
    dossier = DossierFactory(applicant_email="nguoinop@example.com")
    import_identity(agency=dossier.receiving_agency)
    with django_capture_on_commit_callbacks(execute=True):
        pipelines.acknowledgement_enqueue(dossier_id=dossier.pk)
    slip = Slip.objects.get(dossier=dossier, kind=SlipKind.ACKNOWLEDGEMENT)
    assert seal_not_yet_applied == [slip.pk]
    assert mailoutbox == []  # rendered, not sealed yet: nothing mailed
    dossier_tasks.send_acknowledgement(slip.pk)  # a stray send does nothing either
    assert mailoutbox == []
    dossier_tasks.send_acknowledgement(
        dossier_tasks.seal_slip(slip.pk)
    )  # the signing worker seals, then the mail leaves
    assert len(mailoutbox) == 1
    [attachment] = mailoutbox[0].attachments
    [report] = pdf_verify(pdf=attachment[1])
    assert report.verdict == Verdict.VALID
    dossier_tasks.send_acknowledgement(dossier_tasks.seal_slip(slip.pk))  # a retried signing step mails nothing more
    dossier_tasks.send_acknowledgement(slip.pk)
    assert len(mailoutbox) == 1


def test_without_a_seal_the_acknowledgement_is_mailed_at_once(mailoutbox, django_capture_on_commit_callbacks):
    dossier = DossierFactory(applicant_email="nguoinop@example.com")
    with django_capture_on_commit_callbacks(execute=True):  # recorded in the outbox, sent on commit
        pipelines.acknowledgement_enqueue(dossier_id=dossier.pk)
    assert len(mailoutbox) == 1
    assert not PdfFileReader(io.BytesIO(mailoutbox[0].attachments[0][1])).embedded_signatures


def test_form_01_is_sealed_in_place_on_object_storage(
    s3_storage, import_identity, trust_store, django_capture_on_commit_callbacks, client
):
    """STORAGE_BACKEND=s3: the seal reads the slip from the bucket and writes the signed one
    back (the unsigned object removed on commit); the download is the signed bytes."""
    s3, bucket = s3_storage
    dossier = DossierFactory()
    import_identity(agency=dossier.receiving_agency)
    slip = _receive(dossier, django_capture_on_commit_callbacks)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="slips/")["Contents"]]
    assert keys == [slip.file.name]
    signed = s3.get_object(Bucket=bucket, Key=slip.file.name)["Body"].read()
    [report] = pdf_verify(pdf=signed)
    assert report.verdict == Verdict.VALID
    client.force_login(dossier.applicant)
    response = client.get(f"/files/slips/{slip.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == signed
