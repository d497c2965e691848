"""Filing a dossier online: drafts, documents, and the idempotent submission.

A draft is saved as the applicant goes; submitting locks the draft, checks the form
and the required documents, hands out the dossier code and the tracking PIN, and
writes the first event — all in one transaction. Side effects (the acknowledgement
PDF, the email) are enqueued on commit.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.constants import DRAFT_RETENTION_DAYS, Channel, DocumentReuse, DossierState
from dossiers.core import pipelines
from dossiers.core.codes import dossier_code_allocate
from dossiers.core.fees import submission_payment_due
from dossiers.core.machine import transition_run
from dossiers.core.pins import pin_hash, pin_new
from dossiers.models import Dossier, DossierDocument, StoredDocument
from dossiers.selectors import stored_documents_for_user
from dossiers.services.documents import (
    DEFAULT_ACCEPTED,
    EXTENSIONS,
    PHOTOS_MERGE,
    document_inspect,
    photos_check,
    photos_merge_pdf,
    photos_mode,
    photos_pdf_name,
    stored_document_get_or_store,
    stored_documents_keep,
    stored_documents_prepare,
    stored_files_discard,
)
from dossiers.services.once_only import (
    NationalPrefill,
    dossier_prefill_national,
    national_answers_merge,
    national_corrections_audit,
    national_lookups_link,
    national_prefill,
)
from portal import selectors as portal_selectors
from portal.assurance import assurance_check
from portal.storage import files_kept_only_if_committed
from portal.upload_policy import size_pair
from procedures import selectors as procedure_selectors


def _max_total_size() -> int:
    return settings.DOSSIER_MAX_TOTAL_SIZE


def _organisation_for(*, user, organisation_id: int | None):
    if not organisation_id:
        return None
    org = next((o for o in portal_selectors.organisations_for_user(user=user) if o.pk == int(organisation_id)), None)
    if org is None:
        raise PermissionDenied(_("Bạn không phải thành viên của tổ chức này."))
    return org


def _require_applicant(*, user, dossier: Dossier) -> None:
    if dossier.applicant_id != user.pk:
        raise PermissionDenied(_("Bạn không có quyền sửa hồ sơ này."))


def _require_draft(dossier: Dossier) -> None:
    if dossier.state != DossierState.DRAFT:
        raise ValidationError(_("Hồ sơ đã được nộp, không thể sửa bản nháp."), code="not_draft")


def _filing_start(*, user, version, procedure_code: str, organisation_id: int | None, agency_code: str | None):
    """A new dossier on ``version``, checked (online, for whom, receiving agency), with the
    applicant's profile and the answers prefilled from it: (organisation, agency, profile, answers)."""
    if version is None:
        raise ValidationError(
            {"procedure": [_("Không tìm thấy thủ tục %(code)s đang áp dụng.") % {"code": procedure_code}]}
        )
    if not version.accepts_online:
        raise ValidationError({"procedure": [_("Thủ tục này không tiếp nhận hồ sơ trực tuyến.")]})
    organisation = _organisation_for(user=user, organisation_id=organisation_id)
    if organisation is None and not version.for_citizens:
        raise ValidationError({"on_behalf_of": [_("Thủ tục này chỉ dành cho tổ chức, doanh nghiệp.")]})
    if organisation is not None and not version.for_organisations:
        raise ValidationError({"on_behalf_of": [_("Thủ tục này chỉ dành cho công dân.")]})
    agencies = list(version.procedure.agencies.all())
    agency = (
        next((a for a in agencies if a.code == agency_code), None)
        if agency_code
        else (agencies[0] if agencies else None)
    )
    if agency is None and agency_code:
        # Receipt anywhere (Decree 118/2025/NĐ-CP): a Public Administration Service Centre of a
        # deciding agency's province receives it and hands it over.
        agency = next(
            (
                c
                for c in procedure_selectors.service_centres_for_procedure(procedure_id=version.procedure_id)
                if c.code == agency_code
            ),
            None,
        )
    if agency is None:
        raise ValidationError({"agency": [_("Cơ quan tiếp nhận không thực hiện thủ tục này.")]})
    profile = portal_selectors.profile_for_user(user=user)
    initial = procedure_selectors.form_schema_prefill(
        version.form_schema, profile=profile, organisation=organisation, user=user
    )
    return organisation, agency, profile, initial


def dossier_draft_create(
    *,
    user,
    procedure_code: str,
    organisation_id: int | None = None,
    agency_code: str | None = None,
    national_consent: bool = False,
) -> Dossier:
    """Start a draft for the procedure's version in force, bound to that version; its answers
    prefilled from the profile, then from the national databases (`once_only`), whose documents
    are attached to the components they stand for (no upload asked)."""
    version = procedure_selectors.procedure_in_force_by_code(procedure_code)
    organisation, agency, _profile, initial = _filing_start(
        user=user,
        version=version,
        procedure_code=procedure_code,
        organisation_id=organisation_id,
        agency_code=agency_code,
    )
    dossier = Dossier.objects.create(
        procedure=version.procedure,
        procedure_version=version,
        receiving_agency=agency,
        applicant=user,
        organisation=organisation,
        channel=Channel.ONLINE,
        state=DossierState.DRAFT,
        form_data=initial,
    )
    prefill = dossier_prefill_national(user=user, dossier=dossier, consent=national_consent)
    with transaction.atomic():
        for requirement, stored in prefill.documents:
            document_attach(
                user=user, dossier=dossier, requirement=requirement, stored=stored, reuse=DocumentReuse.NATIONAL
            )
    return dossier


DRAFT_CHANGED = "draft_changed"


def draft_version(dossier: Dossier) -> str:
    """The version of a draft's saved answers: the form step's pages carry it, and a post made
    from a page older than the draft (answers kept on a phone while offline, another tab) is
    refused rather than written over newer answers. The server's draft is the truth."""
    return f"{dossier.updated_at.timestamp():.6f}" if dossier.updated_at else ""


def dossier_draft_touch(*, user, dossier: Dossier) -> None:
    """The draft marked as worked on (the 30-day purge counts from then), its answers untouched:
    answers saved meanwhile by another request are not written over."""
    _require_applicant(user=user, dossier=dossier)
    _require_draft(dossier)
    Dossier.objects.filter(pk=dossier.pk).update(updated_at=timezone.now())


def dossier_draft_update(
    *, user, dossier: Dossier, data: dict, reasons: dict | None = None, expected_version: str | None = None
) -> Dossier:
    """Save the form answers of a draft as they are; they are fully checked on submit. An answer
    a national database gave stays as it said, unless the form allows its correction and
    ``reasons`` says why (`once_only.national_answers_merge`); a refused change saves nothing.

    With ``expected_version`` (`draft_version` of the draft the answers were typed on), the
    draft's row is locked and the answers are refused (code ``draft_changed``) when it has been
    saved since."""
    _require_applicant(user=user, dossier=dossier)
    _require_draft(dossier)
    if not isinstance(data, dict):
        raise ValidationError(_("Dữ liệu biểu mẫu phải là một đối tượng JSON."))
    schema = dossier.procedure_version.form_schema or {}
    known = {f["name"] for f in schema.get("fields", [])}
    answers, corrections = national_answers_merge(
        schema=schema,
        sources=dossier.form_sources or {},
        current=dossier.form_data or {},
        corrections=dossier.form_corrections or {},
        data={k: v for k, v in data.items() if k in known},
        reasons=reasons or {},
    )
    with transaction.atomic():
        if expected_version is not None:
            saved = Dossier.objects.select_for_update().only("updated_at").get(pk=dossier.pk)
            if draft_version(saved) != expected_version:
                raise ValidationError(
                    _(
                        "Bản nháp đã được lưu ở nơi khác sau khi trang này được mở, nên câu trả lời vừa gửi "
                        "không được lưu. Bản nháp trên cổng được giữ nguyên: hãy xem lại rồi sửa nếu cần."
                    ),
                    code=DRAFT_CHANGED,
                )
        dossier.form_data, dossier.form_corrections = answers, corrections
        dossier.save(update_fields=["form_data", "form_corrections", "updated_at"])
        national_corrections_audit(dossier=dossier)
    return dossier


def requirement_get(dossier: Dossier, requirement_id):
    """The dossier's procedure version's document component ``requirement_id`` (ValidationError if not one)."""
    return _version_requirement(dossier.procedure_version, requirement_id)


def _version_requirement(version, requirement_id):
    try:
        requirement_id = int(requirement_id)
    except (TypeError, ValueError):
        requirement_id = None
    requirement = next((r for r in version.documents.all() if r.pk == requirement_id), None)
    if requirement is None:
        raise ValidationError({"documents": [_("Thành phần hồ sơ không thuộc thủ tục này.")]})
    return requirement


def _inspect_upload(requirement, *, name: str, content: bytes):
    """The file checked by content against the requirement; errors are keyed by the requirement."""
    try:
        return document_inspect(
            name=name, content=content, accepted_types=requirement.accepted_types or None, max_size=requirement.max_size
        )
    except ValidationError as error:
        raise ValidationError({f"documents[{requirement.pk}]": error.messages}) from None


def _total_size_error() -> ValidationError:
    return ValidationError(
        {
            "documents": [
                _("Tổng dung lượng giấy tờ của hồ sơ vượt quá %(limit)d MB.") % {"limit": _max_total_size() // 1048576}
            ]
        }
    )


def _verify_signatures_enqueue(stored_ids: list[int]) -> None:
    """PDFs uploaded already signed: their signatures are verified in the signing queue and
    the verdict shown to officers next to the document (recorded in the outbox, sent on commit)."""
    if stored_ids:
        pipelines.uploads_verify_enqueue(stored_document_ids=stored_ids)


def document_attach(
    *, user, dossier: Dossier, requirement, stored: StoredDocument, reuse: str = DocumentReuse.NONE
) -> DossierDocument:
    """Attach a stored file to the dossier as ``requirement``, superseding the one before; the
    caller checked who and when. The attachment is the document's digitisation (số hóa), by
    ``user`` now: a scan at the counter, a file uploaded or ``reuse``d from the store."""
    now = timezone.now()
    current = dossier.documents.filter(requirement=requirement, superseded_at__isnull=True)
    used = sum(
        d.stored.size
        for d in dossier.documents.filter(superseded_at__isnull=True)
        .exclude(requirement=requirement)
        .select_related("stored")
    )
    if used + stored.size > _max_total_size():
        raise _total_size_error()
    current.update(superseded_at=now)
    if stored.mime_type == "application/pdf":
        _verify_signatures_enqueue([stored.pk])
    # Attaching a document is activity on the draft: it keeps it from the 30-day purge.
    Dossier.objects.filter(pk=dossier.pk).update(updated_at=now)
    return DossierDocument.objects.create(
        dossier=dossier,
        requirement=requirement,
        component_name=requirement.name,
        stored=stored,
        is_original=requirement.originals > 0,
        copies=max(requirement.originals, requirement.copies, 1),
        added_by=user,
        digitised_at=now,
        digitised_by=user,
        reuse=reuse,
    )


def dossier_document_upload(*, user, dossier: Dossier, requirement_id, name: str, content: bytes) -> DossierDocument:
    """Check an uploaded file by content, keep it in the applicant's store, attach it."""
    _require_applicant(user=user, dossier=dossier)
    if dossier.state not in (DossierState.DRAFT, DossierState.SUPPLEMENT_REQUESTED):
        raise ValidationError(_("Không thể thêm giấy tờ vào hồ sơ ở trạng thái này."), code="not_editable")
    with files_kept_only_if_committed() as track, transaction.atomic():
        return upload_and_attach(
            user=user, dossier=dossier, requirement_id=requirement_id, name=name, content=content, track=track
        )


def upload_and_attach(
    *, user, dossier: Dossier, requirement_id, name: str, content: bytes, track=None
) -> DossierDocument:
    """Check a file by content, keep it in the store, attach it; the caller checked who and when.
    The same bytes uploaded again by the same owner (for the same organisation) are the entry
    already in the store, not a second file (issue 19); ``track`` as `stored_document_get_or_store`'s."""
    requirement = requirement_get(dossier, requirement_id)
    inspected = _inspect_upload(requirement, name=name, content=content)
    stored = stored_document_get_or_store(
        inspected=inspected, owner=user, organisation=dossier.organisation, title=requirement.name, track=track
    )
    return document_attach(user=user, dossier=dossier, requirement=requirement, stored=stored)


def dossier_document_photos_upload(
    *, user, dossier: Dossier, requirement_id, photos: list[tuple[str, bytes]]
) -> DossierDocument:
    """Photos of one paper taken with the camera (issue 25), as one document of the component.

    ``photos`` are (name, bytes) in the order sent. Each is checked as any upload is; then they
    are merged, in that order, into one PDF of a page each (`photos_merge_pdf`), which is
    checked against the component's size limit and types and kept like an uploaded file. A
    component that takes no PDF takes one photo as it is, when it accepts that image type.
    Nothing is kept when any photo is refused.
    """
    _require_applicant(user=user, dossier=dossier)
    if dossier.state not in (DossierState.DRAFT, DossierState.SUPPLEMENT_REQUESTED):
        raise ValidationError(_("Không thể thêm giấy tờ vào hồ sơ ở trạng thái này."), code="not_editable")
    requirement = requirement_get(dossier, requirement_id)
    name, content = photos_as_document(requirement, photos)
    with files_kept_only_if_committed() as track, transaction.atomic():
        return upload_and_attach(
            user=user, dossier=dossier, requirement_id=requirement.pk, name=name, content=content, track=track
        )


def photos_as_document(requirement, photos: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    """The file that photos of one paper become for ``requirement``: one PDF of a page each (or,
    where the component takes no PDF, the one photo as it is), checked photo by photo; the
    ValidationError names the photo and is keyed ``documents[<requirement pk>]``. Used by the
    filing wizard and by the supplement page, whose upload path then checks the file as any."""
    key = f"documents[{requirement.pk}]"
    mode = photos_mode(requirement.accepted_types)
    accepted = requirement.accepted_types or DEFAULT_ACCEPTED
    allowed = ", ".join(sorted({EXTENSIONS.get(t, t).upper() for t in accepted}))
    if not photos:
        raise ValidationError({key: [_("Chưa có ảnh chụp nào được gửi cho giấy tờ này.")]}, code="no_photos")
    if mode is None:
        raise ValidationError(
            {
                key: [
                    _("Giấy tờ này không nhận ảnh chụp (chỉ nhận %(allowed)s); hãy tải tệp lên.") % {"allowed": allowed}
                ]
            }
        )
    if mode != PHOTOS_MERGE and len(photos) > 1:
        raise ValidationError(
            {
                key: [
                    _(
                        "Giấy tờ này chỉ nhận %(allowed)s, không nhận PDF, nên không ghép được nhiều ảnh: "
                        "hãy gửi một ảnh duy nhất."
                    )
                    % {"allowed": allowed}
                ]
            }
        )
    try:
        checked = photos_check(photos)
    except ValidationError as error:
        raise ValidationError({key: error.messages}) from None
    if mode != PHOTOS_MERGE:
        return checked[0]
    try:
        merged = photos_merge_pdf(checked)
    except ValidationError as error:
        raise ValidationError({key: error.messages}) from None
    if len(merged) > requirement.max_size:
        shown, shown_limit = size_pair(len(merged), requirement.max_size)
        raise ValidationError(
            {
                key: [
                    _(
                        "%(count)d ảnh chụp ghép thành tệp PDF có dung lượng %(size)s, vượt quá giới hạn %(limit)s "
                        "của giấy tờ này. Hãy gửi ít ảnh hơn, hoặc tải lên bản quét có dung lượng nhỏ hơn."
                    )
                    % {"count": len(checked), "size": shown, "limit": shown_limit}
                ]
            }
        )
    return photos_pdf_name(requirement.name), merged


@transaction.atomic
def dossier_document_from_store(*, user, dossier: Dossier, requirement_id, stored_id) -> DossierDocument:
    """Reuse a document the portal already holds for the applicant (once-only principle)."""
    _require_applicant(user=user, dossier=dossier)
    if dossier.state not in (DossierState.DRAFT, DossierState.SUPPLEMENT_REQUESTED):
        raise ValidationError(_("Không thể thêm giấy tờ vào hồ sơ ở trạng thái này."), code="not_editable")
    requirement = requirement_get(dossier, requirement_id)
    stored = stored_documents_for_user(user=user).filter(pk=stored_id).first()
    if stored is None:
        raise ValidationError({f"documents[{requirement.pk}]": [_("Không tìm thấy giấy tờ này trong kho của bạn.")]})
    accepted = requirement.accepted_types or None
    if accepted and stored.mime_type not in accepted:
        raise ValidationError({f"documents[{requirement.pk}]": [_("Định dạng giấy tờ trong kho không phù hợp.")]})
    if stored.size > requirement.max_size:
        raise ValidationError({f"documents[{requirement.pk}]": [_("Giấy tờ trong kho vượt quá dung lượng cho phép.")]})
    return document_attach(
        user=user, dossier=dossier, requirement=requirement, stored=stored, reuse=DocumentReuse.STORE
    )


def dossier_document_remove(*, user, dossier: Dossier, document_id: int) -> None:
    _require_applicant(user=user, dossier=dossier)
    if dossier.state not in (DossierState.DRAFT, DossierState.SUPPLEMENT_REQUESTED):
        raise ValidationError(_("Không thể gỡ giấy tờ của hồ sơ ở trạng thái này."), code="not_editable")
    dossier.documents.filter(pk=document_id, superseded_at__isnull=True).update(superseded_at=timezone.now())


def _attached_requirement_ids(dossier: Dossier) -> set:
    return set(dossier.documents.filter(superseded_at__isnull=True).values_list("requirement_id", flat=True))


def _missing(version, attached: set) -> list:
    """The version's required document components that are not among ``attached``; a
    declaration the portal makes from the online form (``from_form``) is never missing."""
    return [r for r in version.documents.all() if r.required and not r.from_form and r.pk not in attached]


def missing_requirements(dossier: Dossier) -> list:
    return _missing(dossier.procedure_version, _attached_requirement_ids(dossier))


def _snapshot_applicant(dossier: Dossier, user, profile) -> None:
    if dossier.organisation_id:
        org = dossier.organisation
        dossier.applicant_name = org.name
        dossier.applicant_id_number = org.tax_code
        dossier.applicant_address = org.address
        dossier.applicant_phone = org.phone or (profile.phone if profile else "")
        dossier.applicant_email = org.email or user.email
    else:
        dossier.applicant_name = (profile.full_name if profile else "") or user.full_name or user.email
        dossier.applicant_id_number = (profile.citizen_id if profile else "") or ""
        dossier.applicant_address = (profile.current_address or profile.permanent_address) if profile else ""
        dossier.applicant_phone = profile.phone if profile else ""
        dossier.applicant_email = (profile.email if profile else "") or user.email


def _submission_errors(*, version, form_data: dict, attached: set, declaration: bool) -> tuple[dict, dict]:
    """What stops a submission (field -> messages) and the cleaned form answers."""
    errors: dict[str, list] = {}
    if not declaration:
        errors["declaration"] = [_("Bạn cần xác nhận lời cam đoan trước khi nộp hồ sơ.")]
    try:
        form_data = procedure_selectors.form_schema_validate_data(version.form_schema, form_data)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(f"data.{field}" if field != "__all__" else "data", []).extend(messages)
    for requirement in _missing(version, attached):
        errors.setdefault(f"documents[{requirement.pk}]", []).append(
            _("Thiếu giấy tờ bắt buộc: %(name)s.") % {"name": requirement.name}
        )
    return errors, form_data


def _submission_stamp(*, dossier: Dossier, user, profile, now) -> tuple[str, int]:
    """Hand out the code and the PIN, snapshot the applicant and move the dossier on (in
    memory; the caller saves it in its transaction). Returns the PIN and the amount due now.

    A toàn trình procedure's at-submission fees are paid online before reception: the dossier
    waits in status 6 and goes to reception once paid (dossiers.services.payments).
    """
    pin = pin_new()
    dossier.code = dossier_code_allocate(unit_code=dossier.receiving_agency.code, day=timezone.localdate(now))
    dossier.tracking_pin_hash = pin_hash(pin)
    dossier.submitted_at = now
    _snapshot_applicant(dossier, user, profile)
    dossier.state = DossierState.SUBMITTED
    due = submission_payment_due(dossier=dossier)
    if due:
        dossier.state, dossier.resume_state = DossierState.PAYMENT_REQUESTED, DossierState.SUBMITTED
    # The reception deadline is set off the request, by the acknowledgement's task
    # (dossier_reception_deadline_set); one paid first gets it when the payment settles.
    return pin, due


def dossier_submit(*, user, dossier_id: int, declaration: bool = False) -> tuple[Dossier, str | None]:
    """Submit a draft. Returns the dossier and the PIN, which is shown once.

    Idempotent: submitting an already submitted dossier returns it with no PIN and
    changes nothing, so a double click or a retried request never files twice.
    """
    if not Dossier.objects.filter(pk=dossier_id).exists():
        raise ValidationError(_("Không tìm thấy hồ sơ."), code="not_found")
    stamped: dict = {}

    def check(dossier: Dossier) -> None:
        if dossier.organisation_id:
            _organisation_for(user=user, organisation_id=dossier.organisation_id)
        errors, dossier.form_data = _submission_errors(
            version=dossier.procedure_version,
            form_data=dossier.form_data,
            attached=_attached_requirement_ids(dossier),
            declaration=declaration,
        )
        if errors:
            raise ValidationError(errors)

    def apply(dossier: Dossier) -> None:
        dossier.applicant = user  # the same row (checked by the row's guard): the notice reads it
        pin, due = _submission_stamp(
            dossier=dossier, user=user, profile=portal_selectors.profile_for_user(user=user), now=timezone.now()
        )
        stamped.update(pin=pin)
        if due:
            payload["payment_due"] = due
        return None  # every field: the code, the PIN, the applicant's snapshot, the answers

    payload: dict = {}
    with transaction.atomic():
        dossier = transition_run(
            user=user, dossier_id=dossier_id, name="submit", payload=payload, check=check, apply=apply
        )
        if "pin" not in stamped:
            return dossier, None  # submitted already (a double click, a retried request): nothing changed
        _submitted(dossier=dossier, pin=stamped["pin"])
    return dossier, stamped["pin"]


def _submitted(*, dossier: Dossier, pin: str) -> None:
    """In the submission's transaction: the acknowledgement's pipeline, in the outbox (sent on
    commit), whose first task records the applicant's in-app notice (once) and renders, seals
    and mails the acknowledgement."""
    pipelines.acknowledgement_enqueue(dossier_id=dossier.pk, pin=pin, agency_id=dossier.receiving_agency_id)


def dossier_file(
    *,
    user,
    procedure_code: str,
    data: dict,
    files: dict,
    organisation_id: int | None = None,
    agency_code: str | None = None,
    idempotency_key: str = "",
    idempotency_fingerprint: str = "",
    declaration: bool = True,
    assurance: str = "",
    via_token: bool = False,
    national_consent: bool = False,
    reasons: dict | None = None,
) -> tuple[Dossier, str | None, bool]:
    """Create, fill and submit a dossier in one call (API). Returns (dossier, pin, created).

    The same checks as the wizard's draft, upload and submit steps, in one pass: every
    problem (form, documents, declaration) is reported at once, files are checked and
    written before the transaction, which then only inserts — the code, the dossier with its
    final answers, its documents in one statement each, the first event. With an
    ``Idempotency-Key`` a retry returns the dossier of the first call, not a new one, before
    any check; the dossier keeps ``idempotency_fingerprint`` (of the first request) for the
    caller to tell a retry from another request under the same key.

    ``assurance`` is the VNeID level the caller carries (its session's, or its token's with
    ``via_token``): a procedure version requiring a higher one is refused with
    `AssuranceRequired` (a PermissionDenied), before anything is asked or written.

    With ``national_consent`` the national databases are asked as the wizard asks them
    (`once_only.national_prefill`): their answers stand unless the form allows a correction and
    ``reasons`` (field → why) gives one; their documents stand for the components bound to them.
    The look-ups are recorded even when the filing is then refused.
    """
    idempotency_key = (idempotency_key or "")[:64]
    if idempotency_key:
        existing = Dossier.objects.filter(applicant=user, idempotency_key=idempotency_key).first()
        if existing is not None and existing.state != DossierState.DRAFT:
            return existing, None, False
    version = procedure_selectors.procedure_in_force_for_filing(procedure_code)
    if version is not None:
        assurance_check(level=assurance, required=version.required_assurance, via_token=via_token)
    organisation, agency, profile, form_data = _filing_start(
        user=user,
        version=version,
        procedure_code=procedure_code,
        organisation_id=organisation_id,
        agency_code=agency_code,
    )
    errors: dict[str, list] = {}
    prefill = (
        national_prefill(user=user, version=version, organisation=organisation, consent=True)
        if national_consent
        else NationalPrefill()
    )
    form_data.update(prefill.values)
    form_corrections: dict = {}
    if isinstance(data, dict):
        try:
            answers, form_corrections = national_answers_merge(
                schema=version.form_schema or {},
                sources=prefill.sources,
                current=form_data,
                corrections={},
                data=data,
                reasons=reasons if isinstance(reasons, dict) else {},
            )
        except ValidationError as error:
            errors.update(error.message_dict)
            answers = data
        form_data = {**form_data, **answers}
    uploads = []  # (requirement, inspected file)
    for requirement_id, (name, content) in files.items():
        try:
            requirement = _version_requirement(version, requirement_id)
            uploads.append((requirement, _inspect_upload(requirement, name=name, content=content)))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if sum(inspected.size for _requirement, inspected in uploads) > _max_total_size():
        errors.setdefault("documents", []).extend(_total_size_error().message_dict["documents"])
    uploaded = {r.pk for r, _inspected in uploads}
    # A document a national database gave stands for its component, unless a file was sent for it.
    national_documents = [(r, stored) for r, stored in prefill.documents if r.pk not in uploaded]
    submission_errors, form_data = _submission_errors(
        version=version,
        form_data=form_data,
        attached=uploaded | {r.pk for r, _stored in national_documents},
        declaration=declaration,
    )
    for field, messages in submission_errors.items():
        if field.startswith("documents[") and field in errors:
            continue  # the file was sent and refused: its own message says why
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    # One entry per file in the owner's store (issue 19): a file the store holds is reused, the
    # others are written now, before the transaction, and only inserted inside it.
    prepared = stored_documents_prepare(
        files=[(inspected, requirement.name) for requirement, inspected in uploads],
        owner=user,
        organisation=organisation,
    )
    written = [d for d in prepared.values() if d.pk is None]
    kept: dict[str, StoredDocument] = {}

    def discard_written() -> None:
        # Not the file of an entry the store held, nor one already deleted for another request's.
        stored_files_discard([d for d in written if kept.get(d.sha256, d).file.name == d.file.name])

    try:
        with transaction.atomic():
            dossier = Dossier(
                procedure=version.procedure,
                procedure_version=version,
                receiving_agency=agency,
                applicant=user,
                organisation=organisation,
                channel=Channel.ONLINE,
                form_data=form_data,
                form_sources=prefill.sources,
                form_corrections=form_corrections,
                idempotency_key=idempotency_key,
                idempotency_fingerprint=idempotency_fingerprint if idempotency_key else "",
            )
            stamped: dict = {}

            def apply(dossier: Dossier) -> None:
                stamped["pin"], due = _submission_stamp(dossier=dossier, user=user, profile=profile, now=now)
                if due:
                    payload["payment_due"] = due

            payload: dict = {}
            transition_run(user=user, dossier=dossier, name="submit", payload=payload, apply=apply)
            pin = stamped["pin"]
            kept.update(stored_documents_keep(prepared))
            stored = [kept[inspected.sha256] for _requirement, inspected in uploads]

            def filed(requirement, document, **extra) -> DossierDocument:
                return DossierDocument(
                    dossier=dossier,
                    requirement=requirement,
                    component_name=requirement.name,
                    stored=document,
                    is_original=requirement.originals > 0,
                    copies=max(requirement.originals, requirement.copies, 1),
                    added_by=user,
                    digitised_at=now,
                    digitised_by=user,
                    **extra,
                )

            DossierDocument.objects.bulk_create(
                [
                    filed(requirement, document)
                    for (requirement, _inspected), document in zip(uploads, stored, strict=True)
                ]
                + [
                    filed(requirement, document, reuse=DocumentReuse.NATIONAL)
                    for requirement, document in national_documents
                ]
            )
            if prefill.lookups:
                national_lookups_link(lookups=prefill.lookups, dossier=dossier)
                national_corrections_audit(dossier=dossier)
            _verify_signatures_enqueue(
                list(
                    dict.fromkeys(
                        d.pk for d, (_r, inspected) in zip(stored, uploads, strict=True) if inspected.may_be_signed
                    )
                )
            )
            _submitted(dossier=dossier, pin=pin)
    except IntegrityError:
        discard_written()
        # A concurrent request with the same key won the race: answer with its dossier.
        existing = (
            Dossier.objects.filter(applicant=user, idempotency_key=idempotency_key).first() if idempotency_key else None
        )
        if existing is None:
            raise
        return existing, None, False
    except BaseException:
        discard_written()
        raise
    return dossier, pin, True


def drafts_purge(*, now=None) -> int:
    """Delete drafts untouched for 30 days (with their uploads' links). Returns the count."""
    cutoff = (now or timezone.now()) - timedelta(days=DRAFT_RETENTION_DAYS)
    stale = Dossier.objects.filter(state=DossierState.DRAFT, updated_at__lt=cutoff)
    count = 0
    for dossier in stale.iterator():
        with transaction.atomic():
            DossierDocument.objects.filter(dossier=dossier).delete()
            dossier.delete()
            count += 1
    return count
