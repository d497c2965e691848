"""Once-only prefill (chỉ khai một lần): a new draft's answers and documents taken from the
national databases.

A form field prefilled from the citizen's profile (``profile.full_name``, date of birth, sex,
permanent address) or from the organisation (``organisation.name``, address, legal
representative) is asked of the national population database (by the profile's số định danh,
only with the person's consent) or of the national business registry (by the organisation's tax
code) through the LGSP (`portal.national_data`). What they answer replaces the local value and is
marked with its source (``Dossier.form_sources``). Every look-up is recorded
(`NationalDataLookup`), answered or not; a failed one leaves the local prefill for manual entry,
and its row says why.

**Corrections.** Such an answer is read-only, unless the form schema marks the field
``"correctable": true``: then the applicant may change it, but only with a reason
(`national_answers_merge`, the one check of the wizard and of the API filing). The original value
and the reason are kept with the dossier (``Dossier.form_corrections``) and with the look-up that
gave the value (``NationalDataLookup.corrections``), and shown to the officer and the applicant.

**Documents.** A document component bound to a national database's document
(`DocumentRequirement.national_document`, e.g. the residence confirmation) is asked of that
database with the same consent; the document it gives lands in the applicant's store with its
source (``StoredDocument.source`` "national", ``national_source``, ``national_document``) — one
copy per identical file — and stands for the component: the caller attaches it, no upload asked.
When the database does not answer, a document of that kind already in the store stands instead.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from dossiers.constants import DocumentSource
from dossiers.models import Dossier, NationalDataLookup, StoredDocument
from dossiers.services.documents import document_inspect, stored_document_create
from portal import national_data
from portal import selectors as portal_selectors

POPULATION_FIELDS = {
    "profile.full_name": "full_name",
    "profile.date_of_birth": "date_of_birth",
    "profile.sex": "sex",
    "profile.permanent_address": "permanent_address",
}
BUSINESS_FIELDS = {
    "organisation.name": "name",
    "organisation.address": "address",
    "organisation.legal_representative": "legal_representative",
}
PURPOSE = "dvc-filing"
CORRECTION_REASON_MAX = 500
DOCUMENT_FIELD_PREFIX = "document:"


@dataclass
class NationalPrefill:
    """What the national databases gave for a new filing: answers by form field, their sources,
    the look-ups recorded, and the documents (requirement, store entry) that stand for components."""

    values: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    lookups: list = field(default_factory=list)
    documents: list = field(default_factory=list)


def _wanted(schema: dict, mapping: dict, key_prefill: str) -> tuple[dict, list]:
    """Form field → source field for the fields this source can answer, and the key's fields."""
    wanted, key_fields = {}, []
    for spec in (schema or {}).get("fields", []):
        prefill = spec.get("prefill")
        if prefill in mapping:
            wanted[spec["name"]] = mapping[prefill]
        elif prefill == key_prefill:
            key_fields.append(spec["name"])
    return wanted, key_fields


def national_consent_applies(*, user, version) -> bool:
    """Whether filing ``version`` as ``user`` would ask the population database, so the consent
    question (step 1 of the wizard) is a real choice: a source configured, a field it answers
    or a component it gives, and an ID to ask by."""
    if national_data.source_get("population") is None:
        return False
    profile = portal_selectors.profile_for_user(user=user)
    if profile is None or not profile.citizen_id:
        return False
    wanted, _key_fields = _wanted(version.form_schema or {}, POPULATION_FIELDS, "profile.citizen_id")
    return bool(wanted) or any(
        national_data.NATIONAL_DOCUMENTS.get(requirement.national_document, ("",))[0] == "population"
        for requirement in version.documents.all()
        if requirement.national_document
    )


def _lookup_record(*, user, dossier, source, fields, result, consent) -> NationalDataLookup:
    return NationalDataLookup.objects.create(
        dossier=dossier,
        user=user,
        source=source.name,
        fields=fields,
        received_fields=sorted(result.values) if result.values else (fields if result.found else []),
        status=result.status,
        message=result.message[:300],
        consent=consent,
    )


def _national_document_store(*, user, requirement, source, result) -> StoredDocument:
    """The document a database gave, checked by content as any upload (ValidationError if
    refused), kept once in the applicant's store with its source."""
    kind = requirement.national_document
    title = result.meta.get("title") or str(national_data.NATIONAL_DOCUMENTS[kind][1])
    inspected = document_inspect(
        name=f"{slugify(title) or kind}.pdf",
        content=result.content,
        accepted_types=requirement.accepted_types or None,
        max_size=requirement.max_size,
    )
    existing = (
        StoredDocument.objects.filter(
            owner=user,
            organisation__isnull=True,
            source=DocumentSource.NATIONAL,
            sha256=inspected.sha256,
            size=inspected.size,
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    return stored_document_create(
        inspected=inspected,
        owner=user,
        title=title,
        source=DocumentSource.NATIONAL,
        national_source=source.name,
        national_document=kind,
    )


def _national_documents(*, user, version, source, key, dossier, consent) -> tuple[list, list]:
    """Each component of ``version`` bound to a document of ``source``: fetched (and recorded),
    stored; else the latest of that kind already in the store. Returns (lookups, documents)."""
    lookups, documents = [], []
    for requirement in version.documents.all():
        kind = requirement.national_document
        if not kind or national_data.NATIONAL_DOCUMENTS.get(kind, ("",))[0] != source.name:
            continue
        result = national_data.national_document_fetch(source=source, key=key, document=kind, purpose=PURPOSE)
        stored = None
        if result.found:
            try:
                stored = _national_document_store(user=user, requirement=requirement, source=source, result=result)
            except ValidationError as error:
                result = national_data.LookupResult(
                    source=source.name,
                    status=national_data.LookupStatus.INVALID,
                    message=_("%(source)s trả về giấy tờ không dùng được (%(reason)s); hãy tải giấy tờ lên.")
                    % {"source": source.label, "reason": " ".join(error.messages)},
                )
        lookups.append(
            _lookup_record(
                user=user,
                dossier=dossier,
                source=source,
                fields=[DOCUMENT_FIELD_PREFIX + kind],
                result=result,
                consent=consent,
            )
        )
        if stored is None:
            stored = (
                StoredDocument.objects.filter(
                    owner=user, organisation__isnull=True, source=DocumentSource.NATIONAL, national_document=kind
                )
                .order_by("-created_at", "-pk")
                .first()
            )
        if stored is not None:
            documents.append((requirement, stored))
    return lookups, documents


def national_prefill(*, user, version, organisation, consent: bool, dossier: Dossier | None = None) -> NationalPrefill:
    """Ask the national databases for a new filing's prefilled answers and documents, each
    look-up recorded (for ``dossier``, or for none yet: `national_lookups_link` binds them)."""
    schema = version.form_schema or {}
    prefill = NationalPrefill()
    if organisation is not None:
        source = national_data.source_get("business")
        key = organisation.tax_code
        wanted, key_fields = _wanted(schema, BUSINESS_FIELDS, "organisation.tax_code")
        consent = True  # a business registry record is public data of the enterprise
    else:
        source = national_data.source_get("population")
        profile = portal_selectors.profile_for_user(user=user)
        key = profile.citizen_id if profile else ""
        wanted, key_fields = _wanted(schema, POPULATION_FIELDS, "profile.citizen_id")
    if source is None or not key or not consent:
        return prefill
    if wanted:
        fields = sorted(set(wanted.values()))
        result = national_data.national_lookup(source=source, key=key, fields=fields, purpose=PURPOSE)
        prefill.lookups.append(
            _lookup_record(user=user, dossier=dossier, source=source, fields=fields, result=result, consent=consent)
        )
        if result.found:
            for form_field, source_field in wanted.items():
                if source_field in result.values:
                    prefill.values[form_field] = result.values[source_field]
                    prefill.sources[form_field] = source.name
            for form_field in key_fields:
                prefill.sources[form_field] = source.name
    if organisation is None:
        lookups, prefill.documents = _national_documents(
            user=user, version=version, source=source, key=key, dossier=dossier, consent=consent
        )
        prefill.lookups.extend(lookups)
    return prefill


def national_lookups_link(*, lookups: list, dossier: Dossier) -> None:
    """Bind look-ups recorded before their dossier existed (the API filing) to it."""
    ids = [lookup.pk for lookup in lookups if lookup.dossier_id is None]
    if ids:
        NationalDataLookup.objects.filter(pk__in=ids).update(dossier=dossier)


def dossier_prefill_national(*, user, dossier: Dossier, consent: bool) -> NationalPrefill:
    """Ask the national databases for the draft's prefilled answers; the look-ups recorded. The
    documents found are returned for the caller to attach."""
    prefill = national_prefill(
        user=user,
        version=dossier.procedure_version,
        organisation=dossier.organisation,
        consent=consent,
        dossier=dossier,
    )
    if prefill.sources:
        for form_field, value in prefill.values.items():
            dossier.form_data[form_field] = value
        dossier.form_sources.update(prefill.sources)
        dossier.save(update_fields=["form_data", "form_sources", "updated_at"])
    return prefill


# --- corrections ------------------------------------------------------------------------------


def field_correctable(schema: dict, name: str) -> bool:
    """Whether the form lets the applicant correct a national answer of field ``name``."""
    return any(
        spec.get("name") == name and spec.get("correctable") is True for spec in (schema or {}).get("fields", [])
    )


def _same(a, b) -> bool:
    def norm(value):
        return "" if value is None else str(value).strip()

    return norm(a) == norm(b)


def national_answers_merge(
    *, schema: dict, sources: dict, current: dict, corrections: dict, data: dict, reasons: dict
) -> tuple[dict, dict]:
    """The national answers (fields in ``sources``) of ``data`` checked against what the databases
    said: a value kept (or restored) stands; a changed one is refused unless its field is
    correctable and ``reasons`` gives why. Returns (``data`` with the national answers settled,
    the corrections); raises ValidationError keyed ``data.<field>`` with every refusal at once."""
    labels = {spec["name"]: spec.get("label") or spec["name"] for spec in (schema or {}).get("fields", [])}
    merged, kept, errors = dict(data), {}, {}
    for name, source_name in (sources or {}).items():
        previous = corrections.get(name) if isinstance(corrections, dict) else None
        previous = previous if isinstance(previous, dict) and "original" in previous else None
        original = previous["original"] if previous else current.get(name)
        reason = (reasons or {}).get(name)
        reason = reason.strip() if isinstance(reason, str) else ""
        if name not in data or (previous and _same(data[name], current.get(name)) and not reason):
            # Not sent, or a corrected answer saved again as it stands: it stays as it was.
            if name in current:
                merged[name] = current[name]
            if previous:
                kept[name] = previous
            continue
        if _same(data[name], original):
            merged[name] = original
            continue
        source = national_data.SOURCE_LABELS.get(source_name, source_name)
        if not field_correctable(schema, name):
            errors[f"data.{name}"] = [
                _("“%(label)s” lấy từ %(source)s; thủ tục này không cho phép sửa thông tin này.")
                % {"label": labels.get(name, name), "source": source}
            ]
        elif not reason:
            errors[f"data.{name}"] = [
                _("Bạn đã sửa “%(label)s” so với %(source)s: hãy nêu lý do sửa.")
                % {"label": labels.get(name, name), "source": source}
            ]
        elif len(reason) > CORRECTION_REASON_MAX:
            errors[f"data.{name}"] = [_("Lý do sửa tối đa %(max)d ký tự.") % {"max": CORRECTION_REASON_MAX}]
        elif isinstance(previous, dict) and previous.get("reason") == reason and _same(current.get(name), data[name]):
            kept[name] = previous  # saved again as it was: the correction keeps its time
        else:
            kept[name] = {
                "original": original,
                "reason": reason,
                "source": source_name,
                "at": timezone.now().isoformat(),
            }
    if errors:
        raise ValidationError(errors)
    return merged, kept


def national_corrections_audit(*, dossier: Dossier) -> None:
    """Write the dossier's corrections onto the look-ups whose answers they change (the audit)."""
    corrections = dossier.form_corrections or {}
    for lookup in dossier.national_lookups.filter(status=national_data.LookupStatus.FOUND):
        mine = {
            name: {"original": c["original"], "value": dossier.form_data.get(name), "reason": c["reason"]}
            for name, c in corrections.items()
            if c.get("source") == lookup.source and not any(f.startswith(DOCUMENT_FIELD_PREFIX) for f in lookup.fields)
        }
        if mine != lookup.corrections:
            lookup.corrections = mine
            lookup.save(update_fields=["corrections"])
