"""The dossier event chain: each event stores the hash of the previous one and its own.

Altering or deleting any row breaks the chain at that point, which `verify_events`
reports. The caller must hold the dossier row lock (``select_for_update``).
"""

import hashlib
import json
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone

from dossiers.core.cache import public_answer_forget
from dossiers.models import Dossier, DossierEvent
from portal.signals import dossier_event_recorded

GENESIS_HASH = "0" * 64


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
    # The text for the applicant (an officer's row since the internal note was split from it):
    # hashed when present, so the events written before it hash as they always did.
    if event.public_note is not None:
        content["public_note"] = event.public_note
    return content


def event_hash(event: DossierEvent) -> str:
    canonical = json.dumps(_event_content(event), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    )
    event.hash = event_hash(event)
    event.save()
    Dossier.objects.filter(pk=dossier.pk).update(events_count=event.seq, last_event_hash=event.hash)
    dossier.events_count, dossier.last_event_hash = event.seq, event.hash
    if dossier.code and not first:
        # The cached public tracking answer shows the status and the timeline: drop it (a new
        # dossier has none: a look-up of an unknown code is not cached).
        transaction.on_commit(partial(public_answer_forget, dossier.code))
    # Integrations (webhooks, national-portal sync) hear of the event only once it is committed.
    transaction.on_commit(
        lambda: dossier_event_recorded.send_robust(
            sender=DossierEvent,
            event_id=event.pk,
            dossier_id=dossier.pk,
            action=action,
            from_state=from_state,
            to_state=to_state,
            applicant_id=dossier.applicant_id,
            organisation_id=dossier.organisation_id,
        )
    )
    return event


@dataclass(frozen=True)
class ChainBreak:
    dossier_id: int
    dossier_code: str | None
    seq: int
    reason: str


def events_verify(*, codes: list[str] | None = None, batch_size: int = 2000) -> list[ChainBreak]:
    """Recompute every chain (or those of the dossiers with `codes`); return where each breaks.

    Checks, per dossier: consecutive sequence numbers from 1, each event's link to the
    previous hash, each event's own hash, and that the chain ends where the dossier's
    recorded head says (so deleting the newest events is caught as well).
    """
    dossiers = Dossier.objects.filter(events_count__gt=0)
    if codes is not None:
        dossiers = Dossier.objects.filter(code__in=codes)
    heads = {
        pk: (code, count, head)
        for pk, code, count, head in dossiers.values_list("pk", "code", "events_count", "last_event_hash").iterator(
            chunk_size=batch_size
        )
    }
    events = DossierEvent.objects.order_by("dossier_id", "seq")
    if codes is not None:
        events = events.filter(dossier_id__in=list(heads))
    breaks: list[ChainBreak] = []
    state: dict[int, tuple[int, str, bool]] = {}  # dossier -> (next seq, prev hash, broken)

    def record(dossier_id: int, seq: int, reason: str) -> None:
        code = heads.get(dossier_id, (None,))[0]
        breaks.append(ChainBreak(dossier_id, code, seq, reason))

    for event in events.iterator(chunk_size=batch_size):
        expected_seq, expected_prev, broken = state.get(event.dossier_id, (1, GENESIS_HASH, False))
        if broken:
            continue
        reason = None
        if event.seq != expected_seq:
            reason = f"missing event(s) before #{event.seq} (expected #{expected_seq})"
        elif event.prev_hash != expected_prev:
            reason = f"event #{event.seq} does not follow the previous event"
        elif event_hash(event) != event.hash:
            reason = f"event #{event.seq} was altered"
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
    return breaks
