"""The installable portal (issue 25): the manifest, the service worker, the offline page, and the
draft versions that let answers kept on a phone offline reach the server without overwriting a
newer draft."""

import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dossiers import services
from dossiers.models import Dossier
from dossiers.services import draft_version
from portal import pwa
from portal.context_processors import offline_draft_key
from tests.dossiers.filing.test_filing_pages import KHAI_SINH, citizen_client, profile  # noqa: F401
from tests.factories import CitizenProfileFactory
from tests.procedures.conftest import demo_agencies, demo_catalogue  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

APPLICANT = {
    "data-requester_name": "Nguyễn Văn Cha",
    "data-requester_id": "001090000001",
    "data-requester_phone": "0912345678",
}


def _static(client, url: str) -> bytes | None:
    """A URL the portal answers: a static file (as collected, found by the finders in tests) or a page."""
    if url.startswith(settings.STATIC_URL):
        found = finders.find(url.removeprefix(settings.STATIC_URL))
        return Path(found).read_bytes() if found else None
    response = client.get(url)
    return response.content if response.status_code == 200 else None


# --- manifest ---------------------------------------------------------------------------------


def test_the_manifest_names_the_portal_in_vietnamese_with_installable_icons(client, settings):  # noqa: F811
    settings.PORTAL_NAME, settings.PORTAL_PROVINCE = "Cổng Dịch vụ công", "Tỉnh Cà Mau"
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    data = json.loads(response.content)
    assert data["name"] == "Cổng Dịch vụ công Tỉnh Cà Mau" and data["lang"] == "vi"
    assert "Dịch vụ công" in response.content.decode()  # not \u-escaped
    assert data["start_url"] == "/" and data["scope"] == "/" and data["display"] == "standalone"
    assert data["theme_color"] == "#a61b1b" and data["background_color"] == "#ffffff"
    # What Chromium asks of an installable app: a 192 px and a 512 px icon; one maskable.
    sizes = {}
    for icon in data["icons"]:
        picture = _static(client, icon["src"])
        assert picture, icon
        image = Image.open(io.BytesIO(picture))
        assert image.format == "PNG" and f"{image.width}x{image.height}" == icon["sizes"], icon
        sizes.setdefault(icon["purpose"], set()).add(icon["sizes"])
    assert sizes == {"any": {"192x192", "512x512"}, "maskable": {"512x512"}}


def test_every_page_links_the_manifest_and_the_theme_colour(client):
    page = client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#a61b1b">' in page
    assert re.search(r'<script src="/static/js/offline-drafts[^"]*\.js"></script>', page)


def test_the_csp_lets_our_own_worker_and_manifest_load_and_nobody_elses(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy


# --- service worker ---------------------------------------------------------------------------


def _precache(body: str) -> list[str]:
    return json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))


def test_the_service_worker_precaches_the_static_files_and_the_offline_page_only(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]  # browsers check for a new worker each time
    body = response.content.decode()
    urls = _precache(body)
    assert "/offline/" in urls
    # Nothing personal is cached: static files and the offline page, nothing else.
    assert all(url.startswith("/static/") for url in urls if url != "/offline/"), urls
    for url in urls:
        assert _static(client, url), url
    # Every file base.html loads is among them, so that the offline page has its styles.
    page = client.get("/").content.decode()
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page):
        assert asset in urls, asset
    # Pages: from the network, the offline page when it fails; only GETs of /static/ are cached.
    assert 'request.mode === "navigate"' in body and "caches.match(OFFLINE_URL)" in body
    assert 'credentials: "omit"' in body
    # Cache-first only for names carrying their content's hash; others from the network first.
    assert re.search(r"const HASHED = /(.+)/;", body).group(1) == r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$"
    assert "HASHED.test(url.pathname)" in body and ".catch(() => caches.match(request))" in body


def test_a_new_offline_page_is_a_new_worker(client, settings):  # noqa: F811
    before = re.search(r'const CACHE = "([^"]+)"', client.get("/sw.js").content.decode()).group(1)
    settings.PORTAL_PROVINCE = "Tỉnh Khác"
    after = re.search(r'const CACHE = "([^"]+)"', client.get("/sw.js").content.decode()).group(1)
    assert before != after


def test_a_changed_static_file_list_is_a_new_worker_with_a_new_cache(client, monkeypatch):
    before = re.search(r'const CACHE = "([^"]+)"', client.get("/sw.js").content.decode()).group(1)
    monkeypatch.setattr(pwa, "PRECACHED_STATIC", (*pwa.PRECACHED_STATIC, "icons/icon-512.png"))
    after = re.search(r'const CACHE = "([^"]+)"', client.get("/sw.js").content.decode()).group(1)
    assert before.startswith("portal-static-") and after.startswith("portal-static-") and before != after


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest", "/offline/"])
def test_the_pwa_files_answer_only_get(client, path):
    assert client.post(path).status_code == 405


# --- offline page -----------------------------------------------------------------------------


def test_the_offline_page_is_the_same_for_everybody_and_names_nobody(client):
    person = CitizenProfileFactory(full_name="Lê Thị Riêng Tư", phone="0987654321")
    anonymous = client.get("/offline/").content.decode()
    client.force_login(person.user)
    signed_in = client.get("/offline/").content.decode()
    assert signed_in == anonymous
    assert "Lê Thị Riêng Tư" not in signed_in and person.user.email not in signed_in
    assert "csrfmiddlewaretoken" not in signed_in and "data-user-key" not in signed_in
    assert "Không có kết nối mạng" in signed_in and '<section lang="en"' in signed_in and "You are offline" in signed_in


# --- whose drafts a phone keeps ---------------------------------------------------------------


def test_the_offline_key_is_the_signed_in_persons_and_not_their_id(client):
    one, two = CitizenProfileFactory(), CitizenProfileFactory()
    assert offline_draft_key(None) == ""
    key_one, key_two = offline_draft_key(one.user), offline_draft_key(two.user)
    assert key_one and key_two and key_one != key_two and str(one.user.pk) != key_one
    assert "data-user-key" not in client.get("/").content.decode()
    client.force_login(one.user)
    assert f'data-user-key="{key_one}"' in client.get("/").content.decode()


# --- draft versions ---------------------------------------------------------------------------


def _draft(client) -> Dossier:
    response = client.post(reverse("dossiers:new", args=[KHAI_SINH]), {"on_behalf_of": "", "agency": "000.01.21.H99"})
    assert response.status_code == 302
    return Dossier.objects.latest("pk")


def _version_on_page(client, url: str) -> str:
    return re.search(r'name="draft_version" value="([^"]*)"', client.get(url).content.decode()).group(1)


def test_the_form_page_carries_the_drafts_version_and_a_save_moves_it(citizen_client, demo_catalogue):  # noqa: F811
    draft = _draft(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    version = _version_on_page(citizen_client, url)
    assert version == draft_version(Dossier.objects.get(pk=draft.pk))
    response = citizen_client.post(url, {**APPLICANT, "draft_version": version, "action": "save"})
    assert response.status_code == 302
    assert _version_on_page(citizen_client, url) != version


def test_an_ordinary_post_from_an_older_page_is_saved_not_refused(citizen_client, demo_catalogue):  # noqa: F811
    """The back button, a double tap, a page opened before the documents step: the person's
    latest word, saved as before. Only answers kept offline are checked against the version."""
    draft = _draft(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    stale = _version_on_page(citizen_client, url)
    citizen_client.post(url, {**APPLICANT, "draft_version": stale, "action": "save"})
    documents = citizen_client.post(reverse("dossiers:draft_documents", args=[draft.pk]), {"action": "save"})
    assert documents.status_code == 302  # the documents step touches the draft too
    response = citizen_client.post(
        url, {**APPLICANT, "data-requester_name": "Tên Mới", "draft_version": stale, "action": "save"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.form_data["requester_name"] == "Tên Mới"


def test_the_documents_step_touches_the_draft_without_rewriting_its_answers(citizen_client, demo_catalogue):  # noqa: F811
    draft = _draft(citizen_client)
    citizen_client.post(reverse("dossiers:draft_form", args=[draft.pk]), {**APPLICANT, "action": "save"})
    before = Dossier.objects.get(pk=draft.pk)
    stale = Dossier.objects.get(pk=draft.pk)
    Dossier.objects.filter(pk=draft.pk).update(form_data={**before.form_data, "requester_name": "Lưu Giữa Chừng"})
    services.dossier_draft_touch(user=draft.applicant, dossier=stale)  # a request that loaded the draft earlier
    after = Dossier.objects.get(pk=draft.pk)
    assert after.form_data["requester_name"] == "Lưu Giữa Chừng" and after.updated_at > before.updated_at


def test_the_offline_sync_is_answered_in_json(citizen_client, demo_catalogue):  # noqa: F811
    draft = _draft(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    version = _version_on_page(citizen_client, url)
    headers = {"X-Offline-Draft": "1"}
    saved = citizen_client.post(url, {**APPLICANT, "draft_version": version, "action": "save"}, headers=headers)
    assert saved.status_code == 200
    data = saved.json()
    draft.refresh_from_db()
    assert data == {"saved": True, "draft_version": draft_version(draft)}
    assert draft.form_data["requester_phone"] == "0912345678"
    # The same answers sent again with the old version: the draft changed since, refused.
    again = citizen_client.post(
        url,
        {**APPLICANT, "data-requester_phone": "0900000000", "draft_version": version, "action": "save"},
        headers=headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "draft_changed" and "Bản nháp đã được lưu ở nơi khác" in again.json()["detail"]
    draft.refresh_from_db()
    assert draft.form_data["requester_phone"] == "0912345678"


def test_a_post_without_a_version_is_saved_as_before(citizen_client, demo_catalogue):  # noqa: F811
    draft = _draft(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    assert citizen_client.post(url, {**APPLICANT, "action": "save"}).status_code == 302
    draft.refresh_from_db()
    assert draft.form_data["requester_id"] == "001090000001"


def test_an_offline_sync_to_a_submitted_dossier_is_a_409_in_json(citizen_client, demo_catalogue):  # noqa: F811
    draft = _draft(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    version = _version_on_page(citizen_client, url)
    Dossier.objects.filter(pk=draft.pk).update(
        state="submitted", code="000.00.21.H99-261203-0001", submitted_at=timezone.now()
    )
    response = citizen_client.post(
        url, {**APPLICANT, "draft_version": version, "action": "save"}, headers={"X-Offline-Draft": "1"}
    )
    assert response.status_code == 409 and response.json()["code"] == "not_draft"
    # Without the header: the dossier's page, as before.
    assert citizen_client.post(url, {**APPLICANT, "action": "save"}).status_code == 302


def test_an_offline_sync_without_a_version_is_refused(citizen_client, demo_catalogue):  # noqa: F811
    draft = _draft(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    response = citizen_client.post(url, {**APPLICANT, "action": "save"}, headers={"X-Offline-Draft": "1"})
    assert response.status_code == 409 and response.json()["code"] == "draft_changed"
    draft.refresh_from_db()
    assert (draft.form_data or {}).get("requester_id") != APPLICANT["data-requester_id"]


def test_an_offline_sync_to_another_persons_draft_changes_nothing(client, citizen_client, demo_catalogue):  # noqa: F811
    draft = _draft(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    version = _version_on_page(citizen_client, url)
    client.force_login(CitizenProfileFactory().user)
    response = client.post(
        url, {**APPLICANT, "draft_version": version, "action": "save"}, headers={"X-Offline-Draft": "1"}
    )
    assert response.status_code == 404
    draft.refresh_from_db()
    assert "requester_id" not in (draft.form_data or {}) or draft.form_data["requester_id"] != "001090000001"
