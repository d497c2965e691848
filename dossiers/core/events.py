"""The dossier event chain: each event stores the MAC of the previous one and its own.

The MAC is HMAC-SHA-256 over the event's canonical content, with a key that lives outside
the database (``settings.EVENT_CHAIN_KEYS``): whoever can write to the database but does not
hold the key cannot recompute a chain. New events use the first key; every event keeps the
id of its key (``key_id``), so a key can be rotated and the older events still verify with
theirs. Altering or deleting any row breaks the chain at that point, which `verify_events`
reports; the daily anchor (`events_verify(anchor=...)`) catches even a rewrite made with the
key. The caller must hold the dossier row lock (``select_for_update``).
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from dossiers.core.cache import public_answer_forget
from dossiers.models import Dossier, DossierEvent
from portal.signals import dossier_event_recorded

GENESIS_HASH = "0" * 64

# Fields added to events after chains were first written enter the MAC only when they hold
# something other than their default, so every chain written before keeps verifying without a
# re-chaining migration. To add one: a line ``(content key, model attribute, default)``, e.g.
# ``("internal", "is_internal", False)``, and nothing else (bench/datagen.py writes only
# defaults, so its SQL needs no change either).
LATER_FIELDS: tuple[tuple[str, str, object], ...] = (
    # The text for the applicant (an officer's row since the internal note was split from it):
    # in the MAC when present, so the events written before it keep their MACs.
    ("public_note", "public_note", None),
)


def chain_keys() -> dict[str, bytes]:
    """The MAC keys by id, the signing one first (``EVENT_CHAIN_KEYS``: ``"id:secret"`` items
    or a dict ``{id: secret}``); ImproperlyConfigured when none is set or one is malformed."""
    configured = settings.EVENT_CHAIN_KEYS
    items = configured.items() if isinstance(configured, Mapping) else (str(i).split(":", 1) for i in configured)
    keys: dict[str, bytes] = {}
    for item in items:
        if len(item) != 2 or not str(item[0]).strip() or not item[1]:
            raise ImproperlyConfigured('EVENT_CHAIN_KEYS: each key is "id:secret" with a non-empty id and secret.')
        key_id, secret = str(item[0]).strip(), item[1]
        keys.setdefault(key_id, secret.encode() if isinstance(secret, str) else bytes(secret))
    if not keys:
        raise ImproperlyConfigured("EVENT_CHAIN_KEYS is empty: dossier events can be neither written nor verified.")
    return keys


def _event_content(event: DossierEvent) -> dict:
    content = {
        "dossier": event.dossier_id,
        "seq": event.seq,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "step": event.step,
        "note": event.note,
        "payload": event.payload,
        "time": event.created_at.isoformat(timespec="microseconds"),
        "prev": event.prev_hash,
    }
    for key, attribute, default in LATER_FIELDS:
        value = getattr(event, attribute, default)
        if value != default:
            content[key] = value
    return content


def event_canonical(event: DossierEvent) -> bytes:
    """The bytes the MAC covers: the content as sorted, compact UTF-8 JSON."""
    return json.dumps(_event_content(event), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_mac(event: DossierEvent, *, keys: Mapping[str, bytes] | None = None) -> str | None:
    """HMAC-SHA-256 (hex) of the event under the key named by its ``key_id``; None when no
    configured key has that id."""
    secret = (keys if keys is not None else chain_keys()).get(event.key_id)
    if secret is None:
        return None
    return hmac.new(secret, event_canonical(event), hashlib.sha256).hexdigest()


def event_append(
    *,
    dossier: Dossier,
    action: str,
    actor=None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    public_note: str | None = None,
    payload: dict | None = None,
    step: int | None = None,
    first: bool = False,
) -> DossierEvent:
    """Append an event to the dossier's chain; ``first=True`` for a dossier inserted in this
    transaction (it has no event yet, so the chain's head is not read)."""
    last = (
        None if first else DossierEvent.objects.filter(dossier=dossier).order_by("-seq").values("seq", "hash").first()
    )
    event = DossierEvent(
        dossier=dossier,
        seq=(last["seq"] + 1) if last else 1,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=str(actor) if actor is not None else "",
        action=action,
        from_state=from_state,
        to_state=to_state,
        step=dossier.current_step if step is None else step,
        note=note,
        public_note=public_note,
        payload=payload or {},
        created_at=timezone.now(),
        prev_hash=last["hash"] if last else GENESIS_HASH,
        key_id=next(iter(chain_keys())),
    )
    event.hash = event_mac(event)
    event.save()
    Dossier.objects.filter(pk=dossier.pk).update(events_count=event.seq, last_event_hash=event.hash)
    dossier.events_count, dossier.last_event_hash = event.seq, event.hash
    if dossier.code and not first:
        # The cached public tracking answer shows the status and the timeline: drop it (a new
        # dossier has none: a look-up of an unknown code is not cached).
        transaction.on_commit(partial(public_answer_forget, dossier.code))
    # Integrations (webhooks, national-portal sync) record their work in this transaction and
    # send it through the outbox: a crash right after the commit loses none of it.
    dossier_event_recorded.send(
        sender=DossierEvent,
        event_id=event.pk,
        dossier_id=dossier.pk,
        action=action,
        from_state=from_state,
        to_state=to_state,
        applicant_id=dossier.applicant_id,
        organisation_id=dossier.organisation_id,
    )
    return event


@dataclass(frozen=True)
class ChainBreak:
    dossier_id: int
    dossier_code: str | None
    seq: int
    reason: str


@dataclass(frozen=True)
class AnchoredHead:
    """A dossier's chain head as an anchor recorded it: its code, last sequence number, MAC."""

    code: str | None
    seq: int
    mac: str


def events_verify(
    *,
    codes: list[str] | None = None,
    anchor: Mapping[int, AnchoredHead] | None = None,
    batch_size: int = 2000,
) -> list[ChainBreak]:
    """Recompute every chain (or those of the dossiers with `codes`); return where each breaks.

    Checks, per dossier: consecutive sequence numbers from 1, each event's link to the
    previous MAC, each event's own MAC under the key it names, and that the chain ends where
    the dossier's recorded head says (so deleting the newest events is caught as well). With
    ``anchor`` (dossier id -> head, from a signed anchor document), every anchored dossier's
    chain must also still hold the anchored event, with the anchored MAC: a chain rewritten
    and re-keyed before the anchor was taken is caught even by a holder of the key.
    """
    keys = chain_keys()
    anchor = anchor or {}
    dossiers = Dossier.objects.filter(events_count__gt=0)
    if codes is not None:
        dossiers = Dossier.objects.filter(code__in=codes)
    heads = {
        pk: (code, count, head)
        for pk, code, count, head in dossiers.values_list("pk", "code", "events_count", "last_event_hash").iterator(
            chunk_size=batch_size
        )
    }
    if codes is not None:
        anchor = {pk: anchored for pk, anchored in anchor.items() if pk in heads}
    events = DossierEvent.objects.order_by("dossier_id", "seq")
    if codes is not None:
        events = events.filter(dossier_id__in=list(heads))
    breaks: list[ChainBreak] = []
    state: dict[int, tuple[int, str, bool]] = {}  # dossier -> (next seq, prev MAC, broken)

    def record(dossier_id: int, seq: int, reason: str) -> None:
        code = heads.get(dossier_id, (None,))[0]
        if code is None and dossier_id in anchor:
            code = anchor[dossier_id].code
        breaks.append(ChainBreak(dossier_id, code, seq, reason))

    def check(event: DossierEvent, expected_seq: int, expected_prev: str) -> str | None:
        if event.seq != expected_seq:
            return f"missing event(s) before #{event.seq} (expected #{expected_seq})"
        if event.prev_hash != expected_prev:
            return f"event #{event.seq} does not follow the previous event"
        mac = event_mac(event, keys=keys)
        if mac is None:
            return f"event #{event.seq} names an unknown key {event.key_id!r}"
        if not hmac.compare_digest(mac, event.hash):
            return f"event #{event.seq} was altered"
        anchored = anchor.get(event.dossier_id)
        if anchored is not None and anchored.seq == event.seq and not hmac.compare_digest(anchored.mac, event.hash):
            return f"event #{event.seq} differs from the anchored chain head"
        return None

    for event in events.iterator(chunk_size=batch_size):
        expected_seq, expected_prev, broken = state.get(event.dossier_id, (1, GENESIS_HASH, False))
        if broken:
            continue
        reason = check(event, expected_seq, expected_prev)
        if reason:
            record(event.dossier_id, event.seq, reason)
            state[event.dossier_id] = (expected_seq, expected_prev, True)
        else:
            state[event.dossier_id] = (event.seq + 1, event.hash, False)
    for dossier_id, (_code, count, head) in heads.items():
        next_seq, last_hash, broken = state.get(dossier_id, (1, GENESIS_HASH, False))
        if broken:
            continue
        if next_seq - 1 != count or (count and last_hash != head):
            record(dossier_id, next_seq, f"chain ends at #{next_seq - 1} but the dossier records {count} event(s)")
    for dossier_id, anchored in anchor.items():
        next_seq, _last, broken = state.get(dossier_id, (1, GENESIS_HASH, False))
        if not broken and next_seq - 1 < anchored.seq:
            record(dossier_id, next_seq, f"chain ends at #{next_seq - 1}, before the anchored head #{anchored.seq}")
    return breaks
