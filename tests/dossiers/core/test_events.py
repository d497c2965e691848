"""The MAC-chained event log and ``manage.py verify_events``: tampering of any kind is named.

The table refuses UPDATE and DELETE (a trigger); the tampering below is done as a superuser
who switches triggers off (`triggers_off`), which is what an attacker holding the database does."""

import hashlib
import hmac
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from dossiers.core.events import GENESIS_HASH, event_canonical, event_mac
from dossiers.models import Dossier, DossierEvent
from dossiers.services import event_append, events_verify
from tests.dossiers.factories import DossierFactory
from tests.dossiers.helpers import triggers_off

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
    assert all(event_mac(e) == e.hash and e.key_id == "test-1" for e in events)
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
    with triggers_off():
        DossierEvent.objects.filter(pk=target.pk).update(note="Đã sửa lén")  # bypasses the append-only guard
    error, err = run_failing()
    assert bad.code in err and "#2" in err and "altered" in err
    assert good.code not in err
    assert "1 chuỗi" in str(error)


def test_altered_actor_or_time_is_caught():
    dossier = chained()
    event = dossier.events.get(seq=3)
    with triggers_off():
        DossierEvent.objects.filter(pk=event.pk).update(created_at=event.created_at.replace(year=2020))
    _error, err = run_failing()
    assert dossier.code in err


def test_rehashed_forgery_breaks_the_next_link():
    """Recomputing the altered event's own MAC (with the key) does not help: the next event no
    longer follows."""
    dossier = chained()
    event = dossier.events.get(seq=2)
    event.note = "giả mạo"
    with triggers_off():
        DossierEvent.objects.filter(pk=event.pk).update(note=event.note, hash=event_mac(event))
    _error, err = run_failing()
    assert dossier.code in err and "#3" in err


def test_deleted_middle_event_is_named():
    dossier = chained()
    middle = dossier.events.get(seq=2)
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DossierEvent._meta.db_table} WHERE id = %s", [middle.pk])  # noqa: S608
    _error, err = run_failing()
    assert dossier.code in err and "missing" in err


def test_deleted_last_event_is_caught_by_the_recorded_head():
    dossier = chained()
    last = dossier.events.get(seq=4)
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DossierEvent._meta.db_table} WHERE id = %s", [last.pk])  # noqa: S608
    _error, err = run_failing()
    assert dossier.code in err and "records 4" in err


def test_all_events_deleted_is_caught():
    dossier = chained(2)
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DossierEvent._meta.db_table} WHERE dossier_id = %s", [dossier.pk])  # noqa: S608
    _error, err = run_failing()
    assert dossier.code in err


def test_code_filter_checks_only_the_named_dossiers():
    good, bad = chained(), chained()
    with triggers_off():
        DossierEvent.objects.filter(dossier=bad, seq=1).update(action="forged")
    out, _err = run("--code", good.code)
    assert "hợp lệ" in out
    _error, err = run_failing("--code", good.code, "--code", bad.code)
    assert bad.code in err and good.code not in err


def test_unknown_code_is_an_error():
    chained()
    error, _err = run_failing("--code", "000.00.00.X00-990101-0001")
    assert "000.00.00.X00-990101-0001" in str(error)


def _rewrite_chain(dossier: Dossier, *, mac, note: str) -> None:
    """Rewrite every note of the dossier's chain and recompute the whole chain with ``mac``
    (bytes -> hex), the dossier's recorded head included: a complete forgery."""
    prev = GENESIS_HASH
    with triggers_off():
        for event in dossier.events.order_by("seq"):
            event.note, event.prev_hash = note, prev
            prev = mac(event_canonical(event))
            DossierEvent.objects.filter(pk=event.pk).update(note=note, prev_hash=event.prev_hash, hash=prev)
    Dossier.objects.filter(pk=dossier.pk).update(last_event_hash=prev)


def test_chain_rewritten_and_rehashed_without_the_key_is_caught():
    """The finding of issue 17: a note rewritten, the chain recomputed with plain SHA-256 (or
    any key but ours) and the head updated used to verify. Without the key, it does not."""
    good, forged = chained(), chained()
    _rewrite_chain(forged, mac=lambda data: hashlib.sha256(data).hexdigest(), note="Đã sửa lén")
    _error, err = run_failing()
    assert forged.code in err and "#1 was altered" in err
    assert good.code not in err
    other = chained()
    _rewrite_chain(other, mac=lambda data: hmac.new(b"a guessed key", data, hashlib.sha256).hexdigest(), note="x")
    assert {b.dossier_code for b in events_verify()} == {forged.code, other.code}


def test_key_rotation_old_events_keep_their_key_new_ones_use_the_new_key(settings):
    dossier = chained(2)
    settings.EVENT_CHAIN_KEYS = [
        "test-2:a-second-test-only-key-7f3a",
        "test-1:test-only-event-chain-key-not-secret-5d1c",
    ]
    event_append(dossier=dossier, action="assign", from_state="received", to_state="processing")
    assert list(dossier.events.order_by("seq").values_list("key_id", flat=True)) == ["test-1", "test-1", "test-2"]
    assert events_verify() == []
    out, _err = run()
    assert "hợp lệ" in out
    # Once the former key is no longer listed, its events cannot be verified, and say why.
    settings.EVENT_CHAIN_KEYS = ["test-2:a-second-test-only-key-7f3a"]
    [only] = events_verify()
    assert only.dossier_code == dossier.code and "unknown key 'test-1'" in only.reason


def test_keys_may_be_given_as_a_dict(settings):
    settings.EVENT_CHAIN_KEYS = {"k-dict": "a-dict-key-for-the-test-only"}
    dossier = chained(2)
    assert set(dossier.events.values_list("key_id", flat=True)) == {"k-dict"}
    assert events_verify() == []


@pytest.mark.parametrize("keys", [[], ["no-secret"], ["id-only:"], {"": "secret"}])
def test_missing_or_malformed_keys_stop_writing_and_verifying(settings, keys):
    dossier = DossierFactory()
    settings.EVENT_CHAIN_KEYS = keys
    with pytest.raises(ImproperlyConfigured, match="EVENT_CHAIN_KEYS"):
        event_append(dossier=dossier, action="submit", from_state="draft", to_state="submitted")
    assert not DossierEvent.objects.filter(dossier=dossier).exists()
    error, _err = run_failing()
    assert "EVENT_CHAIN_KEYS" in str(error)
