"""The signing queue's tasks: sign a stored document once; warn of expiring certificates once."""

import datetime as dt
import hashlib
import io

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from dossiers import tasks as dossier_tasks
from portal.constants import OfficerRole
from portal.models import Notification
from signing import tasks
from signing.constants import IdentityKind
from signing.models import SignedDocument
from signing.selectors import identity_for_agency
from tests.factories import OfficerMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(two_page_pdf, user):
    StoredDocument = apps.get_model("dossiers", "StoredDocument")
    doc = StoredDocument(
        owner=user,
        name="ket-qua.pdf",
        mime_type="application/pdf",
        size=len(two_page_pdf),
        sha256=hashlib.sha256(two_page_pdf).hexdigest(),
        created_at=timezone.now(),
    )
    doc.file.save("ket-qua.pdf", ContentFile(two_page_pdf), save=False)
    doc.save()
    return doc


def _content(doc) -> bytes:
    doc.refresh_from_db()
    with doc.file.open("rb") as handle:
        return handle.read()


def test_sign_stored_document_replaces_the_file_and_is_idempotent(stored, seal, agency):
    assert dossier_tasks.sign_stored_document.apply(args=[stored.pk, agency.pk]).get() is True
    signed = _content(stored)
    assert stored.sha256 == hashlib.sha256(signed).hexdigest() and stored.size == len(signed)
    assert len(PdfFileReader(io.BytesIO(signed)).embedded_signatures) == 1
    assert dossier_tasks.sign_stored_document.apply(args=[stored.pk, agency.pk]).get() is False
    assert _content(stored) == signed
    assert SignedDocument.objects.filter(stored_document=stored).count() == 1


def test_agency_without_identity_leaves_the_document_unsigned(stored, agency, two_page_pdf):
    assert dossier_tasks.sign_stored_document.apply(args=[stored.pk, agency.pk]).get() is False
    assert _content(stored) == two_page_pdf
    assert not SignedDocument.objects.exists()


def test_task_runs_on_the_signing_queue():
    from portal.celery import app

    route = app.amqp.router.route({}, "dossiers.tasks.sign_stored_document")
    assert route["queue"].name == "signing"


@pytest.mark.parametrize(
    ("with_personal", "ask_as_owner", "expected"),
    [(False, False, "seal"), (False, True, "seal"), (True, False, "seal"), (True, True, "personal")],
)
def test_identity_for_agency_matrix(pki, agency, seal, import_identity, user, with_personal, ask_as_owner, expected):
    personal = None
    if with_personal:
        personal = import_identity(pki.officer, agency=agency, kind=IdentityKind.OFFICER, user=user)
    asker = user if ask_as_owner else UserFactory()
    found = identity_for_agency(agency_id=agency.pk, user=asker)
    assert found == (personal if expected == "personal" else seal)


def test_identity_for_an_agency_with_none_is_none(agency):
    assert identity_for_agency(agency_id=agency.pk) is None


def test_expiry_warning_reaches_agency_admins_once(pki, agency, import_identity, seal):
    expiring = import_identity(pki.expiring, agency=agency)
    admin = OfficerMembershipFactory(agency=agency, role=OfficerRole.AGENCY_ADMIN).user
    reception = OfficerMembershipFactory(agency=agency, role=OfficerRole.RECEPTION).user
    assert tasks.warn_expiring_certificates.apply().get() == 1
    assert tasks.warn_expiring_certificates.apply().get() == 0
    notes = Notification.objects.filter(user=admin)
    assert notes.count() == 1
    assert "sắp hết hạn" in notes[0].subject and expiring.serial in notes[0].body
    assert notes[0].event == "certificate.expiring"
    # What the warning always said: which certificate, whose, and when it expires.
    assert expiring.display_name in notes[0].body and agency.name in notes[0].body
    assert timezone.localtime(expiring.not_after).strftime("%d/%m/%Y %H:%M") in notes[0].body
    assert not Notification.objects.filter(user=reception).exists()
    seal.refresh_from_db()
    assert seal.expiry_warned_at is None  # a year of validity left: no warning yet
    expiring.refresh_from_db()
    assert expiring.expiry_warned_at is not None
    assert expiring.not_after - timezone.now() < dt.timedelta(days=30)
