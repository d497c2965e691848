"""Dossier codes ``<unit>-<YYMMDD>-<NNNN>``: unique and gap-free under concurrency, never reused, widening."""

import datetime as dt
import re
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from dossiers.models import Dossier, DossierCodeCounter
from dossiers.services import dossier_code_allocate, dossier_submit, result_code
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory
from tests.factories import UserFactory

DAY = dt.date(2026, 11, 22)
UNIT = "000.00.12.H48"
SUBMISSIONS = 24


pytestmark = pytest.mark.django_db


def test_format_matches_the_circular():
    with transaction.atomic():
        assert dossier_code_allocate(unit_code=UNIT, day=DAY) == f"{UNIT}-261122-0001"
        assert dossier_code_allocate(unit_code=UNIT, day=DAY) == f"{UNIT}-261122-0002"
    assert result_code(dossier_code=f"{UNIT}-261122-0002", n=1) == f"{UNIT}-261122-0002-KQ1"


def test_sequence_is_per_unit_and_per_day():
    with transaction.atomic():
        assert dossier_code_allocate(unit_code=UNIT, day=DAY).endswith("-0001")
        assert dossier_code_allocate(unit_code="000.00.15.H48", day=DAY).endswith("-0001")
        assert dossier_code_allocate(unit_code=UNIT, day=DAY + dt.timedelta(days=1)) == f"{UNIT}-261123-0001"
        assert dossier_code_allocate(unit_code=UNIT, day=DAY).endswith("-0002")


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        dossier_code_allocate(unit_code=UNIT, day=DAY)
    assert not DossierCodeCounter.objects.exists()


def test_rolled_back_allocation_gives_its_number_back():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert dossier_code_allocate(unit_code=UNIT, day=DAY).endswith("-0001")
        1 / 0  # noqa: B018
    with transaction.atomic():
        assert dossier_code_allocate(unit_code=UNIT, day=DAY).endswith("-0001")


def test_sequence_widens_past_9999():
    DossierCodeCounter.objects.create(unit_code=UNIT, day=DAY, last=9999)
    with transaction.atomic():
        assert dossier_code_allocate(unit_code=UNIT, day=DAY) == f"{UNIT}-261122-10000"
        assert dossier_code_allocate(unit_code=UNIT, day=DAY) == f"{UNIT}-261122-10001"


def _draft(version, user=None):
    return DossierFactory(
        draft=True, procedure_version=version, applicant=user or UserFactory(), form_data={"full_name": "Nguyễn Văn A"}
    )


def test_failed_submission_does_not_consume_a_number(monkeypatch):
    version = OnlineVersionFactory(requirement=False)
    first, second = _draft(version), _draft(version)

    def broken(**kwargs):
        raise RuntimeError("event store unavailable")

    monkeypatch.setattr("dossiers.core.machine.event_append", broken)
    with pytest.raises(RuntimeError):
        dossier_submit(user=first.applicant, dossier_id=first.pk, declaration=True)
    first.refresh_from_db()
    assert first.code is None and first.state == "draft"
    monkeypatch.undo()
    dossier, _pin = dossier_submit(user=second.applicant, dossier_id=second.pk, declaration=True)
    assert dossier.code.endswith("-0001")


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_unique_consecutive_codes(monkeypatch):
    """Two dozen applicants press "Nộp hồ sơ" at the same moment for one receiving unit."""
    # The acknowledgement's pipeline (recorded in the outbox, rendered eagerly here) is not under test.
    monkeypatch.setattr("dossiers.services.filing._submitted", lambda **kwargs: None)
    version = OnlineVersionFactory(requirement=False)
    agency = version.procedure.agencies.first()
    drafts = [_draft(version) for _ in range(SUBMISSIONS)]
    barrier = threading.Barrier(SUBMISSIONS)
    codes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit(draft):
        try:
            barrier.wait(timeout=30)
            dossier, pin = dossier_submit(user=draft.applicant, dossier_id=draft.pk, declaration=True)
            with lock:
                codes.append(dossier.code)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            with lock:
                errors.append(error)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=submit, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(codes) == SUBMISSIONS
    assert len(set(codes)) == SUBMISSIONS
    day = timezone.localdate(Dossier.objects.filter(code__isnull=False).earliest("submitted_at").submitted_at)
    prefix = f"{agency.code}-{day:%y%m%d}-"
    assert all(code.startswith(prefix) for code in codes)
    sequences = sorted(int(re.sub(r"^.*-", "", code)) for code in codes)
    assert sequences == list(range(1, SUBMISSIONS + 1))
    assert sorted(codes)[0] == f"{prefix}0001" and sorted(codes)[-1] == f"{prefix}{SUBMISSIONS:04d}"
    assert DossierCodeCounter.objects.get(unit_code=agency.code, day=day).last == SUBMISSIONS
    assert Dossier.objects.filter(state="submitted").count() == SUBMISSIONS
