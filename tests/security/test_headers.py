"""Issue 17, headers: every HTML page carries an enforced Content-Security-Policy with no inline
script or style, and a Permissions-Policy (camera for our own origin only where a document may
be photographed). The browser tests (tests/e2e/) fail on any violation the policy reports."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.dossiers.factories import DossierFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PUBLIC_PAGES = ["/", "/procedures/", "/track/", "/accounts/login/", "/accounts/signup/", "/api/docs/"]
# Inline script (a <script> without src that is not a JSON data block), style elements, style
# attributes and event-handler attributes: what the policy refuses.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
    r"|<style\b|\sstyle=|\son[a-z]+=",
    re.IGNORECASE,
)


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


def _assert_strict_policy(response) -> dict[str, list[str]]:
    assert "Content-Security-Policy" in response, response.request["PATH_INFO"]
    assert "Content-Security-Policy-Report-Only" not in response
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert "'self'" in policy[directive]
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(policy[directive]), policy[directive]
    return policy


def _permissions(response) -> dict[str, str]:
    header = response["Permissions-Policy"]
    return dict(item.strip().split("=", 1) for item in header.split(","))


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_carry_the_policies_and_no_inline_script_or_style(client, path):
    response = client.get(path)
    assert response.status_code == 200
    _assert_strict_policy(response)
    permissions = _permissions(response)
    for feature in ("camera", "geolocation", "microphone", "payment", "usb", "display-capture"):
        assert permissions[feature] == "()", feature
    body = response.content.decode()
    assert INLINE.findall(body) == [], path


def test_signed_in_pages_have_no_inline_script_or_style(client, user):
    client.force_login(user)
    for path in ["/dossiers/", reverse("portal:account"), reverse("portal:notification_preferences")]:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_strict_policy(response)
        assert INLINE.findall(response.content.decode()) == [], path


def test_the_old_redoc_page_is_gone(client):
    # Redoc injected style elements the policy must refuse; Swagger UI at /api/docs/ remains.
    assert client.get("/api/redoc/").status_code == 404


def test_swagger_ui_script_is_served_apart(client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="([^"]*\?script[^"]*)"', page).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_camera_only_for_our_origin_on_the_document_upload_page(client, user):
    draft = DossierFactory(applicant=user, draft=True)
    client.force_login(user)
    upload = client.get(reverse("dossiers:draft_documents", args=[draft.pk]))
    assert upload.status_code == 200
    assert _permissions(upload)["camera"] == "(self)"
    assert _permissions(upload)["geolocation"] == "()"
    _assert_strict_policy(upload)
    assert _permissions(client.get("/dossiers/"))["camera"] == "()"


def test_forms_may_post_on_to_the_payment_gateway_only(client, settings):
    settings.PAYMENT_GATEWAY_URL = "https://sandbox.vnpayment.example/paymentv2/vpcpay.html"
    policy = _assert_strict_policy(client.get("/"))
    assert policy["form-action"] == ["'self'", "https://sandbox.vnpayment.example"]


def test_api_answers_carry_the_policy_too(client):
    response = client.get("/healthz")
    assert "Content-Security-Policy" in response and "Permissions-Policy" in response


def _settings_under(env: dict[str, str]) -> str:
    code = (
        "from django.conf import settings as s; "
        "print(bool(s.CONTENT_SECURITY_POLICY), bool(s.CONTENT_SECURITY_POLICY_REPORT_ONLY))"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_report_only_switch_in_settings():
    assert _settings_under({"CSP_REPORT_ONLY": "false"}) == "True False"
    assert _settings_under({"CSP_REPORT_ONLY": "true"}) == "False True"


def test_report_only_mode_sends_the_report_only_header(client, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_html_templates_hold_no_inline_script_or_style():
    # The PDFs (WeasyPrint) and the e-mails are not pages served under the policy.
    not_pages = (
        "slips/",
        "declarations/",
        "results/",
        "notifications/",
        "dossiers/stats/report_pdf.html",
        "sandbox_lgsp/document.html",  # the sandbox population database's PDF documents
    )
    offenders = []
    for template in sorted((BASE_DIR / "templates").rglob("*.html")) + sorted(BASE_DIR.glob("*/templates/**/*.html")):
        name = template.as_posix().rsplit("/templates/", 1)[1]
        if name.startswith(not_pages):
            continue
        for match in INLINE.finditer(template.read_text()):
            offenders.append(f"{template.relative_to(BASE_DIR)}: {match.group(0)}")
    assert offenders == []
