"""The submission acknowledgement: rendered once as a real PDF, mailed once, on commit only."""

import subprocess

import pytest
from django.core import mail

from dossiers import services
from dossiers.constants import SlipKind
from dossiers.models import Dossier, Slip
from tests.dossiers.factories import make_pdf
from tests.factories import CitizenProfileFactory

pytestmark = pytest.mark.django_db


def _file(version, user, key="k"):
    requirement = version.documents.get()
    return services.dossier_file(
        user=user,
        procedure_code=version.procedure.code,
        data={"full_name": "Trần Thị Ánh"},
        files={requirement.pk: ("tờ khai.pdf", make_pdf())},
        idempotency_key=key,
    )


def test_acknowledgement_rendered_and_mailed_on_commit(online_version, tmp_path, django_capture_on_commit_callbacks):
    profile = CitizenProfileFactory(full_name="Trần Thị Ánh", email="anh@example.vn")
    with django_capture_on_commit_callbacks(execute=True):
        dossier, pin, created = _file(online_version, profile.user)
    assert created and pin and len(pin) == 8
    slip = Slip.objects.get(dossier=dossier, kind=SlipKind.ACKNOWLEDGEMENT)
    pdf = slip.file.read()
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "ack.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert dossier.code in text
    assert "Trần Thị Ánh" in text
    assert pin in text  # printed on the acknowledgement, the only other place it appears
    assert "Demo, ngày" in text  # the date line names the province
    acks = [m for m in mail.outbox if dossier.code in m.subject and m.attachments]
    assert len(acks) == 1
    assert acks[0].to == ["anh@example.vn"]
    assert acks[0].attachments[0][2] == "application/pdf"


def test_acknowledgement_tasks_are_idempotent(online_version, django_capture_on_commit_callbacks):
    from dossiers import tasks

    profile = CitizenProfileFactory()
    with django_capture_on_commit_callbacks(execute=True):
        dossier, _pin, _created = _file(online_version, profile.user)
    slip = Slip.objects.get(dossier=dossier)
    first_file = slip.file.name
    sent = len(mail.outbox)
    tasks.render_acknowledgement(dossier.pk)
    tasks.send_acknowledgement(slip.pk)
    slip.refresh_from_db()
    assert slip.file.name == first_file
    assert Slip.objects.filter(dossier=dossier).count() == 1
    assert len(mail.outbox) == sent


def test_nothing_is_enqueued_when_the_submission_rolls_back(online_version, django_capture_on_commit_callbacks):
    from django.db import transaction

    profile = CitizenProfileFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _file(online_version, profile.user)
            raise RuntimeError("boom")
    assert callbacks == []
    assert not Dossier.objects.exists()
    assert not Slip.objects.exists()
