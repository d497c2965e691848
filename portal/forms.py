"""Forms of the account pages; they only parse input, the services hold the rules."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import divisions
from portal.constants import API_TOKEN_SCOPES, OrganisationRole
from portal.models import CitizenProfile, Organisation
from portal.validators import (
    normalise_phone,
    normalise_tax_code,
    validate_citizen_id,
    validate_phone,
    validate_tax_code,
)


def _province_field(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("— Chọn tỉnh/thành phố —")), *divisions.province_choices()],
    )


def _commune_field(label) -> forms.TypedChoiceField:
    # The choices are the communes of the province posted with it, so a commune of another
    # province (or one without a province) is an invalid choice: say so in those words.
    return forms.TypedChoiceField(
        label=label,
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Xã/phường đã chọn không thuộc tỉnh/thành phố đã chọn.")},
    )


class ProfileForm(forms.ModelForm):
    permanent_province = _province_field(_("Tỉnh/thành phố thường trú"))
    permanent_commune = _commune_field(_("Xã/phường thường trú"))
    current_province = _province_field(_("Tỉnh/thành phố nơi ở hiện tại"))
    current_commune = _commune_field(_("Xã/phường nơi ở hiện tại"))

    class Meta:
        model = CitizenProfile
        fields = [
            "full_name",
            "date_of_birth",
            "sex",
            "citizen_id",
            "phone",
            "email",
            "permanent_address",
            "permanent_province",
            "permanent_commune",
            "current_address",
            "current_province",
            "current_commune",
        ]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "citizen_id": _("12 chữ số, in trên thẻ căn cước."),
            "phone": _("Số di động, ví dụ 0912345678."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        for prefix in ("permanent", "current"):
            province = self.data.get(f"{prefix}_province") or self.initial.get(f"{prefix}_province")
            try:
                province = int(province) if province else None
            except (TypeError, ValueError):
                province = None
            self.fields[f"{prefix}_commune"].choices = [
                ("", _("— Chọn xã/phường —")),
                *divisions.commune_choices(province),
            ]
            self.fields[f"{prefix}_province"].widget.attrs.update(
                {
                    "hx-get": reverse("portal:communes"),
                    "hx-target": f"#id_{prefix}_commune",
                    "hx-vals": f'{{"field": "{prefix}_commune"}}',
                    "name": f"{prefix}_province",
                }
            )
        self.fields["date_of_birth"].required = False
        # What VNeID gave at the last sign-in is shown, marked, and not editable here.
        for name in getattr(self.instance, "identity_fields", None) or []:
            if name in self.fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Lấy từ VNeID (Cơ sở dữ liệu quốc gia về dân cư); không sửa được.")

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "")
        if phone:
            validate_phone(phone)
            phone = normalise_phone(phone)
        return phone

    def clean_citizen_id(self):
        # Checked here too (the model validates again in the service) so that every
        # wrong field is reported at once, not the ID only after the others are fixed.
        citizen_id = (self.cleaned_data.get("citizen_id") or "").strip() or None
        if citizen_id:
            validate_citizen_id(citizen_id)
        return citizen_id

    def _post_clean(self):
        # Uniqueness and model validation happen in the service, on the locked row.
        pass


class OrganisationForm(forms.ModelForm):
    province = _province_field(_("Tỉnh/thành phố"))

    class Meta:
        model = Organisation
        fields = ["name", "tax_code", "legal_representative", "address", "province", "phone", "email"]

    def clean_tax_code(self) -> str:
        tax_code = normalise_tax_code(self.cleaned_data.get("tax_code", ""))
        validate_tax_code(tax_code)
        return tax_code

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "")
        if phone:
            validate_phone(phone)
            phone = normalise_phone(phone)
        return phone

    def _post_clean(self):
        pass


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email người được mời"))
    role = forms.ChoiceField(label=_("Vai trò"), choices=OrganisationRole.choices, initial=OrganisationRole.MEMBER)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Tên gợi nhớ"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Phạm vi"),
        choices=[(s, s) for s in API_TOKEN_SCOPES],
        initial=["dossiers:read"],
        widget=forms.CheckboxSelectMultiple,
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Thời hạn"),
        choices=[("", _("Không hết hạn (không dùng cho phạm vi “officer”)")), (30, _("30 ngày")), (90, _("90 ngày"))],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Mã có phạm vi “officer” hết hạn sau tối đa 90 ngày (mặc định 90 ngày)."),
    )
    totp_code = forms.CharField(
        label=_("Mã xác thực hai lớp (TOTP)"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("Bắt buộc khi tạo mã có phạm vi “officer”: nhập mã hiện tại trong ứng dụng xác thực."),
    )
