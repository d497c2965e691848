"""Forms of the applicant's pages: who applies, document slots, the list filters.

The procedure's own form (tờ khai) is built from its schema by the catalogue
(``procedures.selectors.form_schema_build_form``); these forms hold the rest.
"""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.constants import DocumentSource, DossierState, StatusCode
from dossiers.services.documents import PHOTOS_MERGE, photo_size_problem, photos_count_problem, photos_mode
from portal.upload_policy import size_pair
from procedures import selectors as procedure_selectors

STATUS_DRAFT = "draft"


class ApplicantForm(forms.Form):
    """Step 1 of the wizard: myself or one of my organisations, and the receiving agency."""

    on_behalf_of = forms.TypedChoiceField(label=_("Người nộp hồ sơ"), widget=forms.RadioSelect, coerce=str)
    agency = forms.ChoiceField(label=_("Nơi tiếp nhận hồ sơ"), required=False)
    national_consent = forms.BooleanField(
        label=_(
            "Tôi đồng ý để Cổng tra cứu thông tin của tôi trong Cơ sở dữ liệu quốc gia về dân cư "
            "để điền sẵn tờ khai (chỉ các trường thủ tục cần)."
        ),
        required=False,
    )

    def __init__(self, *args, version, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if version.for_citizens:
            choices.append(("", _("Tôi (công dân) tự nộp hồ sơ")))
        if version.for_organisations:
            choices += [
                (str(org.pk), _("Thay mặt %(name)s (MST %(tax)s)") % {"name": org.name, "tax": org.tax_code})
                for org in organisations
            ]
        self.fields["on_behalf_of"].choices = choices
        self.fields["on_behalf_of"].required = not version.for_citizens
        if choices:
            self.fields["on_behalf_of"].initial = choices[0][0]
        agencies = list(version.procedure.agencies.all())
        # Receipt anywhere (Decree 118/2025/NĐ-CP): a Public Administration Service Centre of the
        # province receives for the deciding agency and hands the dossier over.
        centres = procedure_selectors.service_centres_for_procedure(procedure_id=version.procedure_id)
        self.fields["agency"].choices = [(a.code, a.name) for a in agencies] + [
            (c.code, _("%(name)s (tiếp nhận, chuyển cơ quan có thẩm quyền giải quyết)") % {"name": c.name})
            for c in centres
        ]
        if agencies:
            self.fields["agency"].initial = agencies[0].code
        if len(agencies) + len(centres) <= 1:
            self.fields["agency"].widget = forms.HiddenInput()

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["on_behalf_of"].choices)

    def clean_on_behalf_of(self):
        value = self.cleaned_data.get("on_behalf_of") or ""
        return int(value) if value.isdigit() else None


def document_slot_name(requirement_id: int) -> str:
    return f"documents[{requirement_id}]"


def store_slot_name(requirement_id: int) -> str:
    return f"store[{requirement_id}]"


def photo_slot_name(requirement_id: int) -> str:
    """The camera input of a component: several photos of one paper (issue 25)."""
    return f"photos[{requirement_id}]"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Any number of files under one name (``request.FILES.getlist``), as a list, in the order sent."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data if item]
        return [one(data, initial)] if data else []


def _store_option_label(doc) -> str:
    label = f"{doc.title or doc.name} — {doc.name} ({timezone.localtime(doc.created_at):%d/%m/%Y})"
    if doc.source == DocumentSource.NATIONAL:
        label += " · " + str(_("lấy từ %(source)s") % {"source": doc.national_source_label})
    return label


class DocumentsForm(forms.Form):
    """Step 3: one upload slot per document component, or a pick from the document store.

    Only the shape of the input is checked here (size before reading the file into
    memory); the content is checked by ``dossier_document_upload``.
    """

    def __init__(self, *args, requirements, stored_documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.requirements = list(requirements)
        stored = list(stored_documents)
        for requirement in self.requirements:
            accepted = set(requirement.accepted_types or [])
            self.fields[document_slot_name(requirement.pk)] = forms.FileField(
                label=requirement.name, required=False, allow_empty_file=True
            )
            fitting = [
                doc
                for doc in stored
                if (not accepted or doc.mime_type in accepted) and doc.size <= requirement.max_size
            ]
            # A document a national database gave for this very component comes first (once-only).
            kind = requirement.national_document
            fitting.sort(key=lambda doc: not (kind and doc.national_document == kind))
            options = [(str(doc.pk), _store_option_label(doc)) for doc in fitting]
            if photos_mode(requirement.accepted_types) is not None:
                self.fields[photo_slot_name(requirement.pk)] = PhotosField(
                    label=_("Chụp ảnh giấy tờ"), required=False, allow_empty_file=True
                )
            self.fields[store_slot_name(requirement.pk)] = forms.ChoiceField(
                label=_("hoặc chọn từ kho giấy tờ"),
                required=False,
                choices=[("", _("— Không chọn —")), *options],
            )

    def slots(self) -> list[dict]:
        """Per component, for the template: the requirement, its upload, store and camera
        fields (no camera when it takes neither PDF nor images), and whether the photos are
        merged into one PDF."""
        slots = []
        for r in self.requirements:
            photos = photo_slot_name(r.pk)
            merged = photos_mode(r.accepted_types) == PHOTOS_MERGE
            slots.append(
                {
                    "requirement": r,
                    "upload": self[document_slot_name(r.pk)],
                    "store": self[store_slot_name(r.pk)],
                    "photos": self[photos] if photos in self.fields else None,
                    "photos_merged": merged,
                    # A photo kept as it is must also fit the component's own limit.
                    "photo_max_size": settings.DOCUMENT_PHOTO_MAX_SIZE
                    if merged
                    else min(settings.DOCUMENT_PHOTO_MAX_SIZE, r.max_size),
                    "photos_max": settings.DOCUMENT_PHOTOS_MAX,
                }
            )
        return slots

    def clean(self):
        cleaned = super().clean()
        for requirement in self.requirements:
            self._clean_photos(requirement, cleaned)
            upload = cleaned.get(document_slot_name(requirement.pk))
            if upload is not None and upload.size > requirement.max_size:
                shown, shown_limit = size_pair(upload.size, requirement.max_size)
                self.add_error(
                    document_slot_name(requirement.pk),
                    _("Tệp “%(name)s” có dung lượng %(size)s, vượt quá giới hạn %(limit)s.")
                    % {"name": upload.name, "size": shown, "limit": shown_limit},
                )
        return cleaned

    def _clean_photos(self, requirement, cleaned) -> None:
        """Count and sizes of a component's photos, before their bytes are read."""
        name = photo_slot_name(requirement.pk)
        photos = cleaned.get(name) or []
        if not photos:
            return
        if cleaned.get(document_slot_name(requirement.pk)) is not None:
            self.add_error(
                name,
                _("Mỗi giấy tờ chỉ gửi một cách: tải tệp lên hoặc chụp ảnh. Hãy bỏ tệp hoặc bỏ các ảnh rồi gửi lại."),
            )
            return
        problems = [photos_count_problem(len(photos))] + [
            photo_size_problem(position=position, name=photo.name, size=photo.size)
            for position, photo in enumerate(photos, 1)
        ]
        problem = next((p for p in problems if p), None)
        if problem:
            self.add_error(name, problem)


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=_(
            "Tôi xin cam đoan những thông tin đã khai là đúng sự thật và chịu trách nhiệm trước pháp luật "
            "về lời khai của mình."
        ),
        required=False,
    )


def _status_choices():
    return [
        ("", _("Tất cả trạng thái")),
        (STATUS_DRAFT, DossierState.DRAFT.label),
        # The citizen reads the status in words; the national code stays the officers' (issue 19).
        *[(str(value), label) for value, label in StatusCode.choices],
    ]


class DossierFilterForm(forms.Form):
    """Filters of “Hồ sơ của tôi”; an invalid value drops that filter only."""

    status = forms.ChoiceField(label=_("Trạng thái"), required=False, choices=_status_choices)
    procedure = forms.ChoiceField(label=_("Thủ tục"), required=False)
    submitted_from = forms.DateField(
        label=_("Nộp từ ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    submitted_to = forms.DateField(
        label=_("Đến ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, procedures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("Tất cả thủ tục")), *procedures]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if low and high and low > high:
            self.add_error("submitted_to", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return cleaned

    def value(self, name):
        """The cleaned value of a filter, or None when it is absent or invalid."""
        if not self.is_bound:
            return None
        self.is_valid()
        if name in self.errors:
            return None
        return self.cleaned_data.get(name) or None
