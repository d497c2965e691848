"""Admin of signing identities (certificate details only, never the key) and of the trust store.

Identities are created by importing a PKCS#12 bundle with its password (checked on import);
trusted certificates by uploading a PEM or DER file, and a CA's revocation list (CRL) by
uploading it on the certificate's change page.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from signing.certificates import load_crl
from signing.forms import Pkcs12ImportForm
from signing.models import SignedDocument, SigningIdentity, TrustedCertificate
from signing.services import identity_import_pkcs12, trusted_certificate_add, trusted_certificate_set_crl

_CERT_FIELDS = ("subject", "issuer", "serial", "fingerprint", "not_before", "not_after")


@admin.register(SigningIdentity)
class SigningIdentityAdmin(admin.ModelAdmin):
    list_display = ("display_name", "kind", "agency", "user", "backend", "serial", "not_after", "is_active")
    list_filter = ("kind", "backend", "is_active")
    list_select_related = ("agency", "user")
    search_fields = ("display_name", "subject", "serial", "agency__name")
    # Only what is safe to show; the encrypted key, PIN and raw certificate are not form fields.
    fields = ("display_name", "kind", "agency", "user", "backend", "is_active", *_CERT_FIELDS, "key_usage")
    readonly_fields = ("kind", "agency", "backend", *_CERT_FIELDS, "key_usage")
    raw_id_fields = ("user",)
    change_list_template = "signing/admin/identity_changelist.html"

    def has_add_permission(self, request):
        return False  # identities come in through the PKCS#12 import below

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="signing_signingidentity_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = Pkcs12ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                identity = identity_import_pkcs12(
                    data=data["file"].read(),
                    password=data["password"],
                    agency=data["agency"],
                    kind=data["kind"],
                    user=data["user"],
                    display_name=data["display_name"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, _("Đã nhập chứng thư “%(name)s”.") % {"name": identity}, messages.SUCCESS)
                return redirect("admin:signing_signingidentity_change", identity.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Nhập chứng thư từ tệp PKCS#12")}
        return render(request, "signing/admin/import.html", context)


class TrustedCertificateForm(forms.ModelForm):
    upload = forms.FileField(label=_("Tệp chứng thư (PEM hoặc DER)"))

    class Meta:
        model = TrustedCertificate
        fields = ("name", "is_active")


def _formfield(db_field, **kwargs):
    if db_field.name == "crl_url":
        # CRL distribution points are plain http as a rule (the CRL itself is signed).
        kwargs.setdefault("assume_scheme", "http")
    return db_field.formfield(**kwargs)


class TrustedCertificateChangeForm(forms.ModelForm):
    crl_upload = forms.FileField(
        label=_("Danh sách thu hồi (CRL) mới"),
        required=False,
        help_text=_("Tệp CRL (PEM hoặc DER) do chính chứng thư này phát hành; thay cho danh sách đang dùng."),
    )

    class Meta:
        model = TrustedCertificate
        fields = ("name", "is_active", "crl_url")
        formfield_callback = _formfield

    def clean_crl_url(self):
        url = self.cleaned_data.get("crl_url") or ""
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(
                _("Địa chỉ tải CRL phải bắt đầu bằng http:// hoặc https://."), code="crl_url_scheme"
            )
        return url

    def clean_crl_upload(self):
        upload = self.cleaned_data.get("crl_upload")
        if upload:
            data = upload.read()
            load_crl(data, issuer_der=bytes(self.instance.certificate))
            return data
        return None


_CRL_FIELDS = ("crl_this_update", "crl_next_update", "crl_revoked_count", "crl_refreshed_at", "crl_refresh_error")


@admin.register(TrustedCertificate)
class TrustedCertificateAdmin(admin.ModelAdmin):
    list_display = ("name", "is_root", "serial", "not_after", "crl_next_update", "crl_refreshed_at", "is_active")
    list_filter = ("is_root", "is_active")
    readonly_fields = ("is_root", *_CERT_FIELDS, *_CRL_FIELDS)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "crl_url":
            kwargs.setdefault("assume_scheme", "http")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = TrustedCertificateForm if obj is None else TrustedCertificateChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "upload", "is_active")
        return ("name", "is_active", "crl_url", "crl_upload", *_CRL_FIELDS, "is_root", *_CERT_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            if form.cleaned_data.get("crl_upload"):
                trusted_certificate_set_crl(trusted_id=obj.pk, data=form.cleaned_data["crl_upload"])
            return None
        created = trusted_certificate_add(data=form.cleaned_data["upload"].read(), name=form.cleaned_data["name"])
        obj.pk = created.pk
        obj.refresh_from_db()
        if obj.is_active != form.cleaned_data["is_active"]:
            obj.is_active = form.cleaned_data["is_active"]
            obj.save(update_fields=["is_active"])


@admin.register(SignedDocument)
class SignedDocumentAdmin(admin.ModelAdmin):
    list_display = ("stored_document", "identity", "sha256", "signed_at")
    list_select_related = ("stored_document", "identity")
    readonly_fields = ("stored_document", "identity", "source_sha256", "sha256", "signed_at")

    def has_add_permission(self, request):
        return False
