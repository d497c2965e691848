"""Admin pages of the catalogue: import/export (permission matrix), publishing drafts."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from procedures.constants import VersionStatus
from procedures.models import Procedure, ProcedureVersion
from tests.factories import UserFactory
from tests.procedures.factories import FeeFactory, ProcedureVersionFactory, _document, _procedure

pytestmark = pytest.mark.django_db
IMPORT = "/admin/procedures/procedure/import/"
EXPORT = "/admin/procedures/procedure/export/"


def _staff(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="procedures", codename__in=codenames))
    return user


@pytest.mark.parametrize(
    ("who", "import_status", "export_status"),
    [
        ("anonymous", 302, 302),
        ("citizen", 302, 302),
        ("staff without permissions", 403, 403),
        ("staff who may view", 403, 200),
        ("staff who may add and change", 200, 200),
        ("superuser", 200, 200),
    ],
)
def test_import_export_permission_matrix(client, who, import_status, export_status):
    users = {
        "anonymous": None,
        "citizen": lambda: UserFactory(),
        "staff without permissions": lambda: _staff(),
        "staff who may view": lambda: _staff("view_procedure"),
        "staff who may add and change": lambda: _staff("add_procedure", "change_procedure", "view_procedure"),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }
    if users[who]:
        client.force_login(users[who]())
    assert client.get(IMPORT).status_code == import_status
    assert client.get(EXPORT).status_code == export_status


def test_admin_import_valid_file(admin_client, demo_agencies):
    upload = SimpleUploadedFile("catalogue.json", json.dumps(_document()).encode(), content_type="application/json")
    response = admin_client.post(IMPORT, {"file": upload, "publish": "on"})
    assert response.status_code == 302
    assert ProcedureVersion.objects.get().status == VersionStatus.PUBLISHED


def test_admin_import_bad_file_lists_problems_and_saves_nothing(admin_client, demo_agencies):
    bad = _document(_procedure(code="1.000656"), _procedure(agencies=["000.99.99.H99"]))
    upload = SimpleUploadedFile("catalogue.json", json.dumps(bad).encode(), content_type="application/json")
    response = admin_client.post(IMPORT, {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Thủ tục 1.001193 (Đăng ký khai sinh), trường agencies" in body
    assert "000.99.99.H99" in body
    assert Procedure.objects.count() == 0
    garbage = SimpleUploadedFile("x.json", b"<html>not json</html>")
    assert "không đọc được JSON" in admin_client.post(IMPORT, {"file": garbage}).content.decode()


def test_admin_export_downloads_the_catalogue(admin_client):
    version = ProcedureVersionFactory()
    response = admin_client.get(EXPORT)
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert [p["code"] for p in data["procedures"]] == [version.procedure.code]


def test_admin_pages_render(admin_client):
    version = ProcedureVersionFactory()
    FeeFactory(version=version)
    for url in [
        "/admin/procedures/procedure/",
        f"/admin/procedures/procedure/{version.procedure.pk}/change/",
        "/admin/procedures/procedureversion/",
        f"/admin/procedures/procedureversion/{version.pk}/change/",
        "/admin/procedures/sector/",
        "/admin/procedures/procedureversion/add/",
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_draft_then_publish_through_admin_actions(admin_client):
    version = ProcedureVersionFactory(number=1)
    admin_client.post(
        "/admin/procedures/procedure/",
        {"action": "create_drafts", "_selected_action": [version.procedure.pk]},
    )
    draft = ProcedureVersion.objects.get(status=VersionStatus.DRAFT)
    # publishing without an effective date is refused with a message
    admin_client.post("/admin/procedures/procedureversion/", {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    ProcedureVersion.objects.filter(pk=draft.pk).update(effective_date=timezone.localdate())
    admin_client.post("/admin/procedures/procedureversion/", {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED


def test_published_version_is_read_only_in_admin(admin_client):
    version = ProcedureVersionFactory()
    page = admin_client.get(f"/admin/procedures/procedureversion/{version.pk}/change/").content.decode()
    assert 'name="name"' not in page
