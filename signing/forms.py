"""Forms of the signing app: the public verification upload and the admin's PKCS#12 import."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from procedures.selectors import agency_list
from signing.constants import VERIFY_MAX_BYTES, IdentityKind


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp PDF đã ký"),
        help_text=_("Tối đa %(mb)s MB.") % {"mb": VERIFY_MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > VERIFY_MAX_BYTES:
            raise forms.ValidationError(
                _("Tệp quá lớn: tối đa %(mb)s MB.") % {"mb": VERIFY_MAX_BYTES // (1024 * 1024)}, code="too_large"
            )
        return upload


class Pkcs12ImportForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=None, label=_("Cơ quan"))
    kind = forms.ChoiceField(choices=IdentityKind.choices, label=_("Loại"))
    user = forms.ModelChoiceField(queryset=None, required=False, label=_("Cán bộ (với chữ ký cá nhân)"))
    display_name = forms.CharField(label=_("Tên hiển thị trên chữ ký"), max_length=255, required=False)
    file = forms.FileField(label=_("Tệp PKCS#12 (.p12, .pfx)"))
    password = forms.CharField(label=_("Mật khẩu của tệp"), widget=forms.PasswordInput, required=False, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agency_list()
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True).order_by("email")
