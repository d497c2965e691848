"""Private files on S3-compatible object storage (``STORAGE_BACKEND=s3``), against an S3 server
that speaks the real protocol over HTTP on 127.0.0.1 (moto in server mode): a filing's PDF goes
to the bucket and downloads back through the permission-checked views, streamed or through a
presigned URL; a missing object and an unreachable store answer clearly, never with a 500."""

import json
import os
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from botocore.config import Config
from django.core.files.uploadedfile import SimpleUploadedFile

from dossiers.constants import SlipKind
from dossiers.models import Dossier, Slip, StoredDocument
from dossiers.services.documents import InspectedFile, stored_document_build, stored_files_discard
from portal.settings.base import s3_storage_options
from tests.dossiers.factories import OnlineVersionFactory, make_pdf
from tests.dossiers.helpers import api_for, page_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def _objects(client, bucket) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listing}


@pytest.fixture
def filed(s3_storage, django_capture_on_commit_callbacks):
    """A dossier filed through the API with one PDF, its files on the S3 server."""
    client, bucket = s3_storage
    applicant = UserFactory()
    version = OnlineVersionFactory()
    [requirement] = version.documents.all()
    upload = make_pdf(pages=2)
    api = api_for(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/dossiers/",
            {
                "procedure": version.procedure.code,
                "data": json.dumps({"full_name": "Trần Thị Nộp"}),
                # A name of its own: the stored name is the file's hash and name, and other tests
                # leave the same two pages under "to-khai.pdf" in the local private storage.
                f"documents[{requirement.pk}]": SimpleUploadedFile(
                    f"to-khai-{uuid.uuid4().hex[:12]}.pdf", upload, "application/pdf"
                ),
            },
            format="multipart",
        )
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(code=response.json()["code"])
    stored = dossier.documents.get().stored
    return {"client": client, "bucket": bucket, "applicant": applicant, "api": api, "dossier": dossier,
            "stored": stored, "upload": upload, "body": response.json()}  # fmt: skip


def test_a_filed_pdf_lands_in_the_bucket_and_downloads_back_byte_for_byte(client, filed, settings):
    stored = filed["stored"]
    objects = _objects(filed["client"], filed["bucket"])
    assert objects[stored.file.name] == filed["upload"]
    assert not (Path(os.environ.get("TEST_PRIVATE_STORAGE", "/tmp/portal-test-private")) / stored.file.name).exists()
    # The API names the download; the session downloads it.
    detail = filed["api"].get(f"/api/v1/dossiers/{filed['dossier'].code}/").json()
    [document] = detail["documents"]
    assert document["url"].endswith(f"/files/documents/{stored.pk}/")
    by_session = page_client(client, filed["applicant"]).get(f"/files/documents/{stored.pk}/")
    assert by_session.status_code == 200
    assert by_session["Content-Disposition"].startswith("attachment;")
    assert by_session["Cache-Control"] == "private, no-store"
    assert _content(by_session) == filed["upload"]


def test_the_acknowledgement_slip_is_rendered_into_the_bucket(client, filed):
    slip = Slip.objects.get(dossier=filed["dossier"], kind=SlipKind.ACKNOWLEDGEMENT)
    objects = _objects(filed["client"], filed["bucket"])
    assert objects[slip.file.name].startswith(b"%PDF-")
    response = page_client(client, filed["applicant"]).get(f"/files/slips/{slip.pk}/")
    assert response.status_code == 200
    assert _content(response) == objects[slip.file.name]


def test_another_citizen_gets_404_on_every_door(client, filed):
    stranger = UserFactory()
    url = f"/files/documents/{filed['stored'].pk}/"
    assert page_client(client, stranger).get(url).status_code == 404
    assert api_for(stranger).get(f"/api/v1/dossiers/{filed['dossier'].code}/").status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page, nothing of the file


def test_a_missing_object_answers_404_saying_so(client, filed):
    filed["client"].delete_object(Bucket=filed["bucket"], Key=filed["stored"].file.name)
    response = page_client(client, filed["applicant"]).get(f"/files/documents/{filed['stored'].pk}/")
    assert response.status_code == 404
    assert "Tệp không còn trong kho lưu trữ" in response.content.decode()


def test_an_unreachable_store_answers_503_with_retry_after(client, filed, settings):
    options = s3_storage_options(
        bucket=filed["bucket"], endpoint_url="http://127.0.0.1:9", access_key="k", secret_key="s", region="us-east-1"
    )
    options["client_config"] = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    response = page_client(client, filed["applicant"]).get(f"/files/documents/{filed['stored'].pk}/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Kho lưu trữ tạm thời không truy cập được" in response.content.decode()


def test_presigned_downloads_redirect_after_the_check_to_a_short_lived_url(client, filed, settings):
    settings.STORAGE_DOWNLOADS = "presigned"
    settings.STORAGE_PRESIGNED_SECONDS = 45
    url = f"/files/documents/{filed['stored'].pk}/"
    assert page_client(client, UserFactory()).get(url).status_code == 404
    response = page_client(client, filed["applicant"]).get(url)
    assert response.status_code == 302
    location = response["Location"]
    query = parse_qs(urlparse(location).query)
    assert query["X-Amz-Expires"] == ["45"]
    assert query["response-content-disposition"][0].startswith("attachment;")
    with urllib.request.urlopen(location, timeout=10) as fetched:  # noqa: S310 - the test's own S3 server
        assert fetched.read() == filed["upload"]
        assert fetched.headers["Content-Disposition"].startswith("attachment;")
    # Without the signature the object store refuses: the bucket is not public.
    bare = location.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bare, timeout=10)  # noqa: S310
    assert refused.value.code == 403


def test_a_missing_object_behind_presigned_downloads_is_404_too(client, filed, settings):
    settings.STORAGE_DOWNLOADS = "presigned"
    filed["client"].delete_object(Bucket=filed["bucket"], Key=filed["stored"].file.name)
    response = page_client(client, filed["applicant"]).get(f"/files/documents/{filed['stored'].pk}/")
    assert response.status_code == 404


def test_discarded_uploads_leave_no_object_behind(s3_storage):
    client, bucket = s3_storage
    content = make_pdf()
    inspected = InspectedFile(name="bo.pdf", mime_type="application/pdf", size=len(content), sha256="0" * 64,
                              content=content)  # fmt: skip
    doc = stored_document_build(inspected=inspected, owner=UserFactory())
    assert doc.file.name in _objects(client, bucket)
    stored_files_discard([doc])
    assert _objects(client, bucket) == {}
    assert not StoredDocument.objects.exists()
