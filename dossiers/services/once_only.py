"""Once-only prefill (chỉ khai một lần): a new draft's answers taken from the national databases.

A form field prefilled from the citizen's profile (``profile.full_name``, date of birth, sex,
permanent address) or from the organisation (``organisation.name``, address, legal
representative) is asked of the national population database (by the profile's số định danh,
only with the person's consent) or of the national business registry (by the organisation's tax
code) through the LGSP (`portal.national_data`). What they answer replaces the local value and is
marked with its source (``Dossier.form_sources``): shown as such and kept read-only. Every
look-up is recorded (`NationalDataLookup`), answered or not; a failed one leaves the local
prefill for manual entry, and its row says why.
"""

from dossiers.models import Dossier, NationalDataLookup
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


def national_consent_applies(*, user, schema: dict | None) -> bool:
    """Whether filing as ``user`` would ask the population database, so the consent question
    (step 1 of the wizard) is a real choice: a source configured, a field it answers, an ID."""
    if national_data.source_get("population") is None:
        return False
    wanted, _key_fields = _wanted(schema or {}, POPULATION_FIELDS, "profile.citizen_id")
    profile = portal_selectors.profile_for_user(user=user)
    return bool(wanted and profile is not None and profile.citizen_id)


def dossier_prefill_national(*, user, dossier: Dossier, consent: bool) -> list[NationalDataLookup]:
    """Ask the national databases for the draft's prefilled answers; the look-ups recorded."""
    schema = dossier.procedure_version.form_schema or {}
    lookups = []
    if dossier.organisation_id:
        source = national_data.source_get("business")
        key = dossier.organisation.tax_code
        wanted, key_fields = _wanted(schema, BUSINESS_FIELDS, "organisation.tax_code")
        consent = True  # a business registry record is public data of the enterprise
    else:
        source = national_data.source_get("population")
        profile = portal_selectors.profile_for_user(user=user)
        key = profile.citizen_id if profile else ""
        wanted, key_fields = _wanted(schema, POPULATION_FIELDS, "profile.citizen_id")
    if source is None or not wanted or not key or not consent:
        return lookups
    fields = sorted(set(wanted.values()))
    result = national_data.national_lookup(source=source, key=key, fields=fields, purpose=PURPOSE)
    lookups.append(
        NationalDataLookup.objects.create(
            dossier=dossier,
            user=user,
            source=source.name,
            fields=fields,
            received_fields=sorted(result.values),
            status=result.status,
            message=result.message[:300],
            consent=consent,
        )
    )
    if result.found:
        for form_field, source_field in wanted.items():
            if source_field in result.values:
                dossier.form_data[form_field] = result.values[source_field]
                dossier.form_sources[form_field] = source.name
        for form_field in key_fields:
            dossier.form_sources[form_field] = source.name
        dossier.save(update_fields=["form_data", "form_sources", "updated_at"])
    return lookups
