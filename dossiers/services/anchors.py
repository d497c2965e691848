"""The daily anchor (neo) of the event chains: every dossier's chain head, sealed and time-stamped.

Once a day (beat, `dossiers.tasks.anchor_event_chains`, in the signing worker) the heads of
all chains — per dossier its id, code, last sequence number and that event's MAC — are listed
in a JSON document with the SHA-256 digest of the list. The JSON is embedded in a one-page PDF
that says what it is, and the PDF is sealed (PAdES, with the time-stamping authority of the
settings when one is configured) by the portal's seal through `signing.services`, which takes
bytes and knows nothing of dossiers. The sealed file is kept in private storage
(`EventAnchor`) and the administrator downloads it from the admin.

`verify_events --anchor FILE` reads such a file back (`event_anchor_read`): it checks the
seal, the digest, and hands the heads to `events_verify`. Whoever holds both the database and
the chain key can recompute a chain, but not the anchors already handed out: a chain rewritten
before the last anchor no longer ends on the anchored MAC.
"""

import dataclasses
import datetime as dt
import hashlib
import io
import json
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from dossiers.core.events import AnchoredHead, chain_keys
from dossiers.models import Dossier, EventAnchor
from dossiers.pdf import render_pdf
from portal.storage import files_kept_only_if_committed
from procedures import selectors as procedures_selectors
from signing import selectors as signing_selectors
from signing import services as signing_services

logger = logging.getLogger(__name__)

ANCHOR_FORMAT = "portal-event-anchor/1"
ATTACHMENT_NAME = "event-anchor.json"
# The few heads printed on the page itself, for a reader without tools; the attachment holds all.
PAGE_ENTRIES = 20
# An anchor weighs about 46 bytes per dossier once compressed (46 MB per million dossiers):
# more than an upload may be, so the operator's check takes files up to this size.
ANCHOR_MAX_BYTES = 2 * 1024**3


def anchor_entry_line(entry: Iterable) -> bytes:
    """One head ``[dossier id, code, seq, mac]`` as the digest covers it: compact JSON and a newline."""
    return json.dumps(list(entry), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _anchor_identity_id() -> int | None:
    """The seal that signs anchors: the agency of ``EVENT_ANCHOR_AGENCY``, else the first
    top-level agency (then any agency) with an active seal."""
    if settings.EVENT_ANCHOR_AGENCY:
        agency = procedures_selectors.agency_get_by_code(settings.EVENT_ANCHOR_AGENCY)
        agencies = [agency] if agency is not None else []
    else:
        agencies = sorted(procedures_selectors.agency_list(), key=lambda a: (a.parent_id is not None, a.code))
    for agency in agencies:
        identity = signing_selectors.identity_for_agency(agency_id=agency.pk)
        if identity is not None:
            return identity.pk
    return None


def _document(*, day: dt.date, taken_at: dt.datetime) -> tuple[bytes, int, str, list]:
    """(JSON bytes, count, digest, the first entries) of every chain head now, read in one
    statement (one snapshot) with a server-side cursor."""
    heads = (
        Dossier.objects.filter(events_count__gt=0)
        .order_by("pk")
        .values_list("pk", "code", "events_count", "last_event_hash")
    )
    digest, body, count, first = hashlib.sha256(), io.BytesIO(), 0, []
    for entry in heads.iterator(chunk_size=5000):
        line = anchor_entry_line(entry)
        digest.update(line)
        body.write(b"," if count else b"")
        body.write(line[:-1])
        if count < PAGE_ENTRIES:
            first.append(entry)
        count += 1
    header = {
        "format": ANCHOR_FORMAT,
        "day": day.isoformat(),
        "taken_at": taken_at.isoformat(),
        "key_id": next(iter(chain_keys())),
        "count": count,
        "digest": digest.hexdigest(),
        "entries_are": ["dossier", "code", "seq", "mac"],
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    document = head[:-1] + b',"entries":[' + body.getvalue() + b"]}"
    return document, count, header["digest"], first


def event_anchor_create(*, day: dt.date | None = None) -> EventAnchor | None:
    """The anchor of ``day`` (today by default), made once: a second call returns the first
    one. None, with an error logged, when no seal can sign it (nothing is stored)."""
    day = day or timezone.localdate()
    existing = EventAnchor.objects.filter(day=day).first()
    if existing is not None:
        return existing
    identity_id = _anchor_identity_id()
    if identity_id is None:
        logger.error("event anchor of %s not made: no agency seal to sign it (EVENT_ANCHOR_AGENCY)", day)
        return None
    taken_at = timezone.now()
    document, count, digest, first = _document(day=day, taken_at=taken_at)
    pdf = render_pdf(
        "slips/event_anchor.html",
        {
            "day": day,
            "taken_at": timezone.localtime(taken_at),
            "issued_at": timezone.localtime(taken_at),
            "count": count,
            "digest": digest,
            "key_id": next(iter(chain_keys())),
            "attachment": ATTACHMENT_NAME,
            "first_entries": first,
            "agency_name": settings.PORTAL_NAME,
            "parent_agency_name": settings.PORTAL_PROVINCE,
            "place": settings.PORTAL_PROVINCE,
        },
        attachments=((ATTACHMENT_NAME, document),),
    )
    signature = signing_services.agency_pdf_sign(pdf=pdf, identity_id=identity_id)
    anchor = EventAnchor(
        day=day,
        dossiers_count=count,
        digest=digest,
        sha256=signature.sha256,
        signed_at=signature.signed_at,
        signed_by_identity=signature.identity_id,
    )
    try:
        with files_kept_only_if_committed() as track, transaction.atomic():
            anchor.file.save(f"event-anchor-{day:%Y-%m-%d}.pdf", ContentFile(signature.pdf), save=False)
            track(anchor.file)
            anchor.save()
    except IntegrityError:
        # Another run made the day's anchor meanwhile (this one's file is gone with its
        # transaction): keep that one.
        return EventAnchor.objects.get(day=day)
    logger.info("event anchor of %s: %s dossiers, digest %s", day, count, digest)
    return anchor


@dataclasses.dataclass
class AnchorReading:
    """What an anchor file says, once its seal and digest are checked."""

    day: dt.date
    taken_at: dt.datetime
    count: int
    digest: str
    heads: dict[int, AnchoredHead]
    signatures: list  # signing's SignatureReport of each signature


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="bad_anchor")


def event_anchor_read(*, data: bytes) -> AnchorReading:
    """Check an anchor file and return its heads; ValidationError (in the active language) when
    the seal is not valid and trusted, the file carries no anchor, or its digest is wrong."""
    reports = signing_services.pdf_verify(pdf=data, max_bytes=ANCHOR_MAX_BYTES)
    bad = [r for r in reports if r.verdict != "valid"]
    if bad:
        raise _refuse(
            _("Chữ ký của tệp neo không hợp lệ: %(reason)s")
            % {"reason": "; ".join(f"{r.field_name}: {r.verdict_label} {r.reason}".strip() for r in bad)}
        )
    try:
        attachments = PdfReader(io.BytesIO(data), strict=False).attachments
        document = json.loads(attachments[ATTACHMENT_NAME][0])
        if document["format"] != ANCHOR_FORMAT:
            raise ValueError(document["format"])
        entries = document["entries"]
        heads = {int(pk): AnchoredHead(code=code, seq=int(seq), mac=str(mac)) for pk, code, seq, mac in entries}
        day = dt.date.fromisoformat(document["day"])
        taken_at = dt.datetime.fromisoformat(document["taken_at"])
    except (PyPdfError, KeyError, IndexError, ValueError, TypeError) as exc:
        raise _refuse(_("Tệp không chứa danh sách neo chuỗi nhật ký hợp lệ.")) from exc
    digest = hashlib.sha256(b"".join(anchor_entry_line(entry) for entry in entries)).hexdigest()
    if digest != document.get("digest") or len(heads) != document.get("count") or len(heads) != len(entries):
        raise _refuse(_("Mã băm của danh sách neo không khớp với nội dung."))
    return AnchorReading(day=day, taken_at=taken_at, count=len(heads), digest=digest, heads=heads, signatures=reports)
