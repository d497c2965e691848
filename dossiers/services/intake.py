"""Counter intake (tiếp nhận trực tiếp): a reception officer files a dossier for a walk-in or postal applicant.

The applicant brings (or posts) paper documents; the officer finds the citizen's account by
citizen ID (CCCD) or email, or creates one, types the procedure's form, scans each document
and the dossier goes straight to received. It is filed through the same steps as an online
dossier — code allocation and the "submit" event (with the channel), then the ordinary
``dossier_receive`` transition — all in one transaction, so form 01, the event chain and the
applicant's notification are exactly those of an online dossier received at the desk.

Whose store the scans go into: the applicant's, when there is an account (found, or created
with an unusable password when an email is given: the citizen claims it later with "forgot
password"), so a later dossier can reuse them (once-only). A walk-in with no email has no
account: the dossier keeps only the applicant snapshot (``applicant=None``, allowed for
non-online channels) and, since a stored document needs an owner, the scans are owned by the
officer who scanned them; they are reached through the dossier like any other document.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.constants import Channel, DocumentSource, DossierState
from dossiers.core.codes import dossier_code_allocate
from dossiers.core.machine import transition_run
from dossiers.core.pins import pin_hash, pin_new
from dossiers.models import Dossier
from dossiers.services.documents import InspectedFile, document_inspect, stored_documents_get_or_store
from dossiers.services.filing import document_attach
from dossiers.services.reception import dossier_receive, note_clean
from portal import selectors as portal_selectors
from portal import services as portal_services
from portal.constants import OfficerPermission
from portal.storage import files_kept_only_if_committed
from portal.validators import normalise_phone, validate_citizen_id, validate_phone
from procedures import selectors as procedure_selectors

INTAKE_CHANNELS = (Channel.COUNTER, Channel.POST)
APPLICANT_LIMITS = {"full_name": 150, "address": 255, "email": 254}


def _applicant_clean(applicant) -> dict:
    """The applicant block typed by the officer, checked; errors keyed ``applicant.<field>``."""
    if not isinstance(applicant, dict):
        applicant = {}
    clean = {
        key: (applicant.get(key) or "").strip() if isinstance(applicant.get(key) or "", str) else ""
        for key in ("full_name", "citizen_id", "email", "phone", "address")
    }
    clean["email"] = clean["email"].lower()
    errors: dict[str, list] = {}
    if not clean["full_name"]:
        errors["applicant.full_name"] = [_("Vui lòng nhập họ và tên người nộp hồ sơ.")]
    # The officer checks the identity paper at the desk: the CCCD is what the dossier is filed under.
    if not clean["citizen_id"]:
        errors["applicant.citizen_id"] = [_("Vui lòng nhập số định danh cá nhân (CCCD) của người nộp.")]
    else:
        try:
            validate_citizen_id(clean["citizen_id"])
        except ValidationError as error:
            errors["applicant.citizen_id"] = error.messages
    if clean["email"]:
        try:
            validate_email(clean["email"])
        except ValidationError:
            errors["applicant.email"] = [_("Địa chỉ email không hợp lệ.")]
    if clean["phone"]:
        try:
            validate_phone(clean["phone"])
        except ValidationError as error:
            errors["applicant.phone"] = error.messages
        else:
            clean["phone"] = normalise_phone(clean["phone"])
    for key, limit in APPLICANT_LIMITS.items():
        if len(clean[key]) > limit:
            errors.setdefault(f"applicant.{key}", []).append(_("Tối đa %(max)d ký tự.") % {"max": limit})
    if errors:
        raise ValidationError(errors)
    return clean


def _applicant_resolve(clean: dict):
    """The existing account of the applicant, or None; refuses a CCCD and an email of two different people."""
    by_id = portal_selectors.citizen_find(citizen_id=clean["citizen_id"])
    by_email = portal_selectors.citizen_find(email=clean["email"]) if clean["email"] else None
    if by_id is not None and by_email is not None and by_id.pk != by_email.pk:
        raise ValidationError(
            {"applicant.email": [_("Email này thuộc một tài khoản khác với tài khoản của số CCCD đã nhập.")]}
        )
    if by_id is None and by_email is not None:
        profile = portal_selectors.profile_for_user(user=by_email)
        if profile is not None and profile.citizen_id and profile.citizen_id != clean["citizen_id"]:
            raise ValidationError(
                {"applicant.citizen_id": [_("Tài khoản của email này đã khai một số CCCD khác với số đã nhập.")]}
            )
    return by_id or by_email


def _applicant_account_create(clean: dict):
    """A new account for a walk-in who gave an email: no usable password until the citizen claims it."""
    user = get_user_model().objects.create_user(email=clean["email"], password=None, full_name=clean["full_name"])
    portal_services.profile_update(
        user=user,
        data={
            "full_name": clean["full_name"],
            "citizen_id": clean["citizen_id"],
            "phone": clean["phone"],
            "email": clean["email"],
            "permanent_address": clean["address"],
        },
    )
    return user


def _snapshot(dossier: Dossier, clean: dict, user) -> None:
    """What is printed on the slips: what the officer typed from the papers, completed from the profile."""
    profile = portal_selectors.profile_for_user(user=user) if user is not None else None
    dossier.applicant_name = clean["full_name"]
    dossier.applicant_id_number = clean["citizen_id"]
    dossier.applicant_phone = clean["phone"] or (profile.phone if profile else "")
    dossier.applicant_email = clean["email"] or (profile.email if profile else "") or (user.email if user else "")
    dossier.applicant_address = clean["address"] or (
        (profile.current_address or profile.permanent_address) if profile else ""
    )


def _documents_inspect(version, documents) -> list[tuple[object, InspectedFile]]:
    """Check every scan by content (as online uploads are), one per component, and that none required is missing."""
    requirements = {r.pk: r for r in version.documents.all()}
    errors: dict[str, list] = {}
    inspected: list[tuple[object, InspectedFile]] = []
    seen: set[int] = set()
    for item in documents or []:
        try:
            requirement_id, name, content = item
            requirement = requirements.get(int(requirement_id))
        except (TypeError, ValueError):
            requirement = None
        if requirement is None:
            errors.setdefault("documents", []).append(_("Thành phần hồ sơ không thuộc thủ tục này."))
            continue
        key = f"documents[{requirement.pk}]"
        if requirement.pk in seen:
            errors.setdefault(key, []).append(_("Mỗi thành phần hồ sơ chỉ nhận một tệp scan."))
            continue
        seen.add(requirement.pk)
        try:
            result = document_inspect(
                name=str(name or ""),
                content=bytes(content or b""),
                accepted_types=requirement.accepted_types or None,
                max_size=requirement.max_size,
            )
        except ValidationError as error:
            errors.setdefault(key, []).extend(error.messages)
            continue
        inspected.append((requirement, result))
    for requirement in requirements.values():
        if requirement.required and requirement.pk not in seen:
            errors.setdefault(f"documents[{requirement.pk}]", []).append(
                _("Thiếu giấy tờ bắt buộc: %(name)s.") % {"name": requirement.name}
            )
    if not errors and sum(f.size for _r, f in inspected) > settings.DOSSIER_MAX_TOTAL_SIZE:
        errors["documents"] = [
            _("Tổng dung lượng giấy tờ của hồ sơ vượt quá %(limit)d MB.")
            % {"limit": settings.DOSSIER_MAX_TOTAL_SIZE // 1048576}
        ]
    if errors:
        raise ValidationError(errors)
    return inspected


def dossier_counter_intake(
    *,
    officer,
    agency_id: int,
    procedure_code: str,
    channel: str,
    applicant: dict,
    form_data: dict,
    documents: list[tuple[int, str, bytes]],
    note: str = "",
    now: dt.datetime | None = None,
) -> Dossier:
    """File and receive, in one transaction, a dossier handed in at the counter or by post.

    Raises ``PermissionDenied`` when the officer may not take in dossiers for the agency, and
    ``ValidationError`` (keys ``procedure``, ``agency``, ``channel``, ``applicant.<field>``,
    ``data.<field>``, ``documents[<requirement id>]``, ``note``) for any bad input; nothing is
    written then. The returned dossier carries ``tracking_pin``, shown to the officer once
    to hand to the applicant.
    """
    try:
        agency_id = int(agency_id)
    except (TypeError, ValueError):
        raise PermissionDenied(_("Bạn không có quyền nhận hồ sơ trực tiếp cho cơ quan này.")) from None
    if not portal_selectors.officer_can(user=officer, agency_id=agency_id, permission=OfficerPermission.COUNTER_INTAKE):
        raise PermissionDenied(_("Bạn không có quyền nhận hồ sơ trực tiếp cho cơ quan này."))
    version = procedure_selectors.procedure_in_force_by_code(procedure_code)
    if version is None:
        raise ValidationError(
            {"procedure": [_("Không tìm thấy thủ tục %(code)s đang áp dụng.") % {"code": str(procedure_code)[:32]}]}
        )
    agency = next((a for a in version.procedure.agencies.all() if a.pk == agency_id), None)
    if agency is None:
        # Receipt anywhere (Decree 118/2025/NĐ-CP): a Public Administration Service Centre takes in
        # a dossier of a procedure another agency of its province decides, then hands it over.
        agency = next(
            (
                c
                for c in procedure_selectors.service_centres_for_procedure(procedure_id=version.procedure_id)
                if c.pk == agency_id
            ),
            None,
        )
    if agency is None:
        raise ValidationError({"agency": [_("Cơ quan của bạn không thực hiện thủ tục này.")]})
    if not version.for_citizens:
        raise ValidationError({"procedure": [_("Thủ tục này chỉ dành cho tổ chức, doanh nghiệp.")]})
    if channel not in INTAKE_CHANNELS:
        raise ValidationError({"channel": [_("Kênh nộp phải là trực tiếp hoặc qua bưu chính.")]})
    if channel == Channel.COUNTER and not version.channel_in_person:
        raise ValidationError({"channel": [_("Thủ tục này không nhận hồ sơ nộp trực tiếp.")]})
    if channel == Channel.POST and not version.channel_post:
        raise ValidationError({"channel": [_("Thủ tục này không nhận hồ sơ qua dịch vụ bưu chính.")]})
    errors: dict[str, list] = {}
    try:
        note = note_clean(note)
    except ValidationError as error:
        errors.update(error.message_dict)
    # Every check runs before anything is written, so the officer sees all the problems at once.
    clean, user, cleaned_data, scans = None, None, {}, []
    try:
        clean = _applicant_clean(applicant)
        user = _applicant_resolve(clean)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        cleaned_data = procedure_selectors.form_schema_validate_data(version.form_schema, form_data or {})
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(f"data.{field}" if field != "__all__" else "data", []).extend(messages)
    try:
        scans = _documents_inspect(version, documents)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    with files_kept_only_if_committed() as track, transaction.atomic():
        if user is None and clean["email"]:
            user = _applicant_account_create(clean)
        dossier = Dossier(
            procedure=version.procedure,
            procedure_version=version,
            receiving_agency=agency,
            applicant=user,
            channel=channel,
            state=DossierState.DRAFT,
            form_data=cleaned_data,
        )
        _snapshot(dossier, clean, user)
        dossier.save()
        # A scan is the applicant's (the officer's when the applicant has no account): kept once
        # per owner like an upload (issue 19), all in one statement.
        kept = stored_documents_get_or_store(
            files=[(inspected, requirement.name) for requirement, inspected in scans],
            owner=user or officer,
            source=DocumentSource.SCAN,
            track=track,
        )
        for requirement, inspected in scans:
            document_attach(user=officer, dossier=dossier, requirement=requirement, stored=kept[inspected.sha256])
        moment = now or timezone.now()
        pin = pin_new()

        def apply(dossier: Dossier) -> None:
            dossier.code = dossier_code_allocate(unit_code=agency.code, day=timezone.localdate(moment))
            dossier.tracking_pin_hash = pin_hash(pin)
            dossier.submitted_at = moment

        transition_run(
            user=officer,
            dossier=dossier,
            name="submit_at_counter",
            note=note,
            payload={"channel": channel},
            apply=apply,
        )
        # The ordinary reception transition: its event, form 01 and the notification, as online.
        dossier = dossier_receive(user=officer, dossier_id=dossier.pk, now=moment)
    dossier.tracking_pin = pin
    return dossier
