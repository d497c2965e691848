"""The API contract: docs/openapi.yaml matches the code; the docs pages load nothing external."""

import difflib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer

SCHEMA_FILE = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
REGENERATE = "DJANGO_SETTINGS_MODULE=portal.settings.test python manage.py spectacular --file docs/openapi.yaml"


def generated_schema_text() -> str:
    # As `manage.py spectacular` does it: no active language, so the source (Vietnamese) texts.
    with translation.override(None):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


def test_checked_in_schema_matches_the_code():
    current = generated_schema_text()
    checked_in = SCHEMA_FILE.read_text()
    if current != checked_in:
        diff = "".join(
            list(
                difflib.unified_diff(
                    checked_in.splitlines(keepends=True),
                    current.splitlines(keepends=True),
                    "docs/openapi.yaml",
                    "generated from the code",
                )
            )[:80]
        )
        pytest.fail(f"docs/openapi.yaml and the code have drifted apart; run `{REGENERATE}`.\n{diff}")


def test_schema_documents_every_endpoint_with_the_error_format():
    import yaml

    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    assert "Error" in schema["components"]["schemas"]
    assert {"/api/v1/dossiers/", "/api/v1/dossiers/{code}/", "/api/v1/webhooks/"} <= set(schema["paths"])
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "429" in responses, (method, path)
            assert any(code.startswith("2") for code in responses), (method, path)
            for code, response in responses.items():
                if code[0] in "45":
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/Error"), (method, path, code)
            if method == "post":
                assert {"413", "415"} <= set(responses), path
                assert any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])), path
    detail = schema["paths"]["/api/v1/dossiers/{code}/"]["get"]["responses"]
    assert "304" in detail and "ETag" in detail["200"]["headers"]
    listing = schema["paths"]["/api/v1/dossiers/"]["get"]
    assert {"status_code", "ordering", "page", "page_size"} <= {p["name"] for p in listing["parameters"]}


@pytest.mark.parametrize("url", ["/api/docs/"])
def test_docs_pages_load_only_local_assets(url, db):
    response = Client().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    assert sources, html[:500]
    external = [s for s in sources if re.match(r"^(https?:)?//", s)]
    assert not external, external
    assert any(s.startswith(settings.STATIC_URL) for s in sources)
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    assert settings.SPECTACULAR_SETTINGS["SWAGGER_UI_DIST"] == "SIDECAR"
    assert settings.SPECTACULAR_SETTINGS["REDOC_DIST"] == "SIDECAR"


def test_schema_endpoint_serves_openapi_3(db):
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
