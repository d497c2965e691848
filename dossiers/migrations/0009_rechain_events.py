"""Re-chain every dossier's events with the keyed MAC (HMAC-SHA-256, the first key of
``EVENT_CHAIN_KEYS``), in sequence order per dossier, in batches.

The content and both algorithms are frozen here as they stood when the MAC replaced the plain
SHA-256 chain, so a later change to `dossiers.core.events` cannot change what this did. A
dossier whose plain chain no longer verified (an event altered, missing or out of order) is
left as it was, with no key id: re-chaining it would launder the tampering, and
`verify_events` keeps naming it. Must run before 0010 installs the append-only trigger.
Reversing it restores the plain SHA-256 chain.

Rate, measured on 9,750 events (5,000 bench dossiers) on the shared 2-core machine under load:
see the README (section Audit).
"""

import hashlib
import hmac
import json
import logging
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, migrations, router

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
DOSSIERS_PER_BATCH = 500
FIELDS = ("id", "dossier_id", "seq", "actor_id", "actor_label", "action", "from_state", "to_state", "step",
          "note", "payload", "created_at", "prev_hash", "hash", "key_id")  # fmt: skip


def _canonical(event, prev: str) -> bytes:
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
        "prev": prev,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _signing_key() -> tuple[str, bytes]:
    configured = settings.EVENT_CHAIN_KEYS
    first = next(iter(configured.items())) if isinstance(configured, dict) else str(configured[0]).split(":", 1)
    key_id, secret = str(first[0]).strip(), first[1]
    return key_id, secret.encode() if isinstance(secret, str) else bytes(secret)


def _plain(_key_id: str, _secret: bytes):
    return lambda data: hashlib.sha256(data).hexdigest()


def _keyed(_key_id: str, secret: bytes):
    return lambda data: hmac.new(secret, data, hashlib.sha256).hexdigest()


def _save(model, objects: list, fields: list[str]) -> None:
    """Write ``fields`` of ``objects``: on PostgreSQL one ``UPDATE ... FROM (VALUES ...)`` per
    1,000 rows (several times faster than ``bulk_update``'s CASE per column), elsewhere
    ``bulk_update``."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields, batch_size=1000)
        return
    table, columns = model._meta.db_table, [model._meta.get_field(f).column for f in fields]
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(objects), 1000):
            chunk = objects[start : start + 1000]
            rows = ",".join(["(%s::bigint" + ", %s" * len(fields) + ")"] * len(chunk))
            params = [value for o in chunk for value in (o.pk, *(getattr(o, f) for f in fields))]
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments}"  # noqa: S608 - names from the model
                f" FROM (VALUES {rows}) AS v(id, {', '.join(columns)}) WHERE t.id = v.id",
                params,
            )


def _rewrite(apps, *, old_mac, new_mac, old_key_id: str, new_key_id: str, batch: int = DOSSIERS_PER_BATCH):
    """Recompute the chains verified under ``old_mac`` with ``new_mac``; returns (events
    rewritten, dossiers skipped because their old chain did not verify)."""
    Dossier = apps.get_model("dossiers", "Dossier")
    DossierEvent = apps.get_model("dossiers", "DossierEvent")
    rewritten, skipped = 0, []
    ids = Dossier.objects.filter(events_count__gt=0).order_by("pk").values_list("pk", flat=True)

    def flush(dossier_ids: list[int]) -> None:
        nonlocal rewritten
        heads = dict(Dossier.objects.filter(pk__in=dossier_ids).values_list("pk", "last_event_hash"))
        chains: dict[int, list] = {}
        for event in DossierEvent.objects.filter(dossier_id__in=dossier_ids).order_by("dossier_id", "seq").only(*FIELDS):
            chains.setdefault(event.dossier_id, []).append(event)
        changed_events, changed_dossiers = [], []
        for dossier_id, events in chains.items():
            prev, intact = GENESIS, True
            for expected, event in enumerate(events, start=1):
                if (event.seq != expected or event.prev_hash != prev or event.key_id != old_key_id
                        or event.hash != old_mac(_canonical(event, event.prev_hash))):  # fmt: skip
                    intact = False
                    break
                prev = event.hash
            if not intact or prev != heads.get(dossier_id):
                skipped.append(dossier_id)
                continue
            prev = GENESIS
            for event in events:
                event.prev_hash, event.key_id = prev, new_key_id
                event.hash = prev = new_mac(_canonical(event, prev))
            changed_events.extend(events)
            changed_dossiers.append(Dossier(pk=dossier_id, last_event_hash=prev))
        _save(DossierEvent, changed_events, ["prev_hash", "hash", "key_id"])
        _save(Dossier, changed_dossiers, ["last_event_hash"])
        rewritten += len(changed_events)

    pending: list[int] = []
    for dossier_id in ids.iterator(chunk_size=2000):
        pending.append(dossier_id)
        if len(pending) >= batch:
            flush(pending)
            pending = []
    if pending:
        flush(pending)
    if skipped:
        message = (
            f"{len(skipped)} dossier(s) whose event chain did not verify were left unchanged"
            f" (ids {skipped[:20]}{'...' if len(skipped) > 20 else ''}): run verify_events."
        )
        logger.warning(message)
        sys.stderr.write(message + "\n")
    return rewritten, skipped


def rechain(apps, schema_editor, batch: int = DOSSIERS_PER_BATCH):
    DossierEvent = apps.get_model("dossiers", "DossierEvent")
    if not DossierEvent.objects.exists():
        return 0, []
    if not settings.EVENT_CHAIN_KEYS:
        raise ImproperlyConfigured("EVENT_CHAIN_KEYS must be set to re-chain the existing dossier events.")
    key_id, secret = _signing_key()
    return _rewrite(apps, old_mac=_plain("", b""), new_mac=_keyed(key_id, secret), old_key_id="",
                    new_key_id=key_id, batch=batch)  # fmt: skip


def unchain(apps, schema_editor, batch: int = DOSSIERS_PER_BATCH):
    DossierEvent = apps.get_model("dossiers", "DossierEvent")
    if not DossierEvent.objects.exists():
        return 0, []
    key_id, secret = _signing_key()
    return _rewrite(apps, old_mac=_keyed(key_id, secret), new_mac=_plain("", b""), old_key_id=key_id,
                    new_key_id="", batch=batch)  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0008_event_keys_and_anchors")]

    operations = [migrations.RunPython(rechain, unchain, elidable=False)]
