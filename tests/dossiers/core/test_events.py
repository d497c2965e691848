"""The hash-chained event log and ``manage.py verify_events``: tampering of any kind is named."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dossiers.core.events import GENESIS_HASH, event_hash
from dossiers.models import Dossier, DossierEvent
from dossiers.services import event_append, events_verify
from tests.dossiers.factories import DossierFactory

pytestmark = pytest.mark.django_db

STEPS = [
    ("submit", "draft", "submitted"),
    ("receive", "submitted", "received"),
    ("assign", "received", "processing"),
    ("resolve", "processing", "resolved"),
]


def chained(n: int = 4, **kwargs) -> Dossier:
    dossier = DossierFactory(**kwargs)
    for action, from_state, to_state in STEPS[:n]:
        event_append(
            dossier=dossier,
            action=action,
            actor=dossier.applicant,
            from_state=from_state,
            to_state=to_state,
            note="Ghi chú có dấu tiếng Việt",
            payload={"items": [1, 2], "lý_do": "đủ"},
        )
    return dossier


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_events", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args) -> tuple[CommandError, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_events", *args, stdout=io.StringIO(), stderr=err)
    assert excinfo.value.returncode != 0
    return excinfo.value, err.getvalue()


def test_chain_links_each_event_to_the_previous():
    dossier = chained()
    events = list(dossier.events.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == GENESIS_HASH
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    assert all(event_hash(e) == e.hash for e in events)
    dossier.refresh_from_db()
    assert dossier.events_count == 4 and dossier.last_event_hash == events[-1].hash


def test_events_are_append_only_through_the_orm():
    event = chained(1).events.get()
    event.note = "sửa"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_good_chains_verify():
    chained()
    chained(2)
    DossierFactory()  # no events at all
    out, err = run()
    assert "hợp lệ" in out and err == ""
    assert events_verify() == []


def test_altered_event_is_named():
    good, bad = chained(), chained()
    target = bad.events.get(seq=2)
    DossierEvent.objects.filter(pk=target.pk).update(note="Đã sửa lén")  # bypasses the append-only guard
    error, err = run_failing()
    assert bad.code in err and "#2" in err and "altered" in err
    assert good.code not in err
    assert "1 chuỗi" in str(error)


def test_altered_actor_or_time_is_caught():
    dossier = chained()
    event = dossier.events.get(seq=3)
    DossierEvent.objects.filter(pk=event.pk).update(created_at=event.created_at.replace(year=2020))
    _error, err = run_failing()
    assert dossier.code in err


def test_rehashed_forgery_breaks_the_next_link():
    """Recomputing the altered event's own hash does not help: the next event no longer follows."""
    dossier = chained()
    event = dossier.events.get(seq=2)
    event.note = "giả mạo"
    DossierEvent.objects.filter(pk=event.pk).update(note=event.note, hash=event_hash(event))
    _error, err = run_failing()
    assert dossier.code in err and "#3" in err


def test_deleted_middle_event_is_named():
    dossier = chained()
    middle = dossier.events.get(seq=2)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DossierEvent._meta.db_table} WHERE id = %s", [middle.pk])  # noqa: S608
    _error, err = run_failing()
    assert dossier.code in err and "missing" in err


def test_deleted_last_event_is_caught_by_the_recorded_head():
    dossier = chained()
    last = dossier.events.get(seq=4)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DossierEvent._meta.db_table} WHERE id = %s", [last.pk])  # noqa: S608
    _error, err = run_failing()
    assert dossier.code in err and "records 4" in err


def test_all_events_deleted_is_caught():
    dossier = chained(2)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DossierEvent._meta.db_table} WHERE dossier_id = %s", [dossier.pk])  # noqa: S608
    _error, err = run_failing()
    assert dossier.code in err


def test_code_filter_checks_only_the_named_dossiers():
    good, bad = chained(), chained()
    DossierEvent.objects.filter(dossier=bad, seq=1).update(action="forged")
    out, _err = run("--code", good.code)
    assert "hợp lệ" in out
    _error, err = run_failing("--code", good.code, "--code", bad.code)
    assert bad.code in err and good.code not in err


def test_unknown_code_is_an_error():
    chained()
    error, _err = run_failing("--code", "000.00.00.X00-990101-0001")
    assert "000.00.00.X00-990101-0001" in str(error)
