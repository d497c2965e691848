"""Open data: the statistics, the index and the catalogue as CSV and JSON at stable URLs, the
DCAT-style catalogue, the beat task, and the link from the public page."""

import csv
import datetime as dt
import io
import json

import jsonschema
import pytest
from django.core.files.storage import default_storage

from dossiers import tasks
from dossiers.stats import opendata, service
from tests.dossiers.stats.factories import FIRST

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 31)

RECORDS_SCHEMA = {
    "type": "object",
    "required": ["dataset", "title", "modified", "columns", "records"],
    "properties": {
        "dataset": {"type": "string"},
        "modified": {"type": "string", "format": "date-time"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "records": {"type": "array", "items": {"type": "object"}},
    },
}
CATALOGUE_SCHEMA = {
    "type": "object",
    "required": ["@context", "@type", "dct:title", "dct:description", "dct:license", "dct:modified", "dcat:dataset"],
    "properties": {
        "@type": {"const": "dcat:Catalog"},
        "dcat:dataset": {
            "type": "array",
            "minItems": 3,
            "items": {
                "type": "object",
                "required": [
                    "dct:identifier",
                    "dct:title",
                    "dct:description",
                    "dct:license",
                    "dct:modified",
                    "dcat:distribution",
                ],
                "properties": {
                    "dcat:distribution": {
                        "type": "array",
                        "minItems": 2,
                        "items": {"type": "object", "required": ["dcat:downloadURL", "dcat:mediaType", "dct:format"]},
                    }
                },
            },
        },
    },
}


@pytest.fixture
def published(hand_built):
    agency, _ = hand_built
    return agency, opendata.opendata_publish(today=MARCH)


def _csv(client, name):
    response = client.get(f"/du-lieu-mo/{name}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_files_have_their_headers_and_the_figures(client, published):
    agency, names = published
    assert set(names) == set(opendata.FILES)
    stats = _csv(client, "thong-ke.csv")
    assert list(stats[0]) == opendata.STATS_COLUMNS
    march = next(r for r in stats if r["thang"] == "2026-03" and r["ma_co_quan"] == agency.code)
    whole = service.summarise(service.stats_rows(scope=service.Scope(), first_day=dt.date(2026, 3, 1), last_day=MARCH))
    assert (march["tiep_nhan"], march["giai_quyet_qua_han"]) == (str(whole["received"]), str(whole["resolved_late"]))
    assert whole["received"] > 8  # the whole of March, not the hand-built 9–20 March
    index = _csv(client, "chi-so-766.csv")
    assert list(index[0]) == opendata.INDEX_COLUMNS
    assert {r["ma_co_quan"] for r in index if r["ky"] == "2026-03"} >= {opendata.PROVINCE_CODE, agency.code}
    assert all(0 <= float(r["tong_diem"]) <= 100 for r in index)
    catalogue = _csv(client, "thu-tuc.csv")
    assert list(catalogue[0]) == opendata.CATALOGUE_COLUMNS and catalogue[0]["ma_thu_tuc"]


def test_json_files_follow_their_schema(client, published):
    for name in opendata.DATASETS:
        response = client.get(f"/du-lieu-mo/{name}.json")
        assert response.status_code == 200
        body = response.json()
        jsonschema.validate(body, RECORDS_SCHEMA)
        assert body["columns"] == opendata.DATASETS[name]["columns"]
        assert all(set(r) == set(body["columns"]) for r in body["records"])


def test_the_catalogue_lists_every_distribution_at_its_stable_url(client, published):
    response = client.get("/du-lieu-mo/catalog.json")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    document = json.loads(response.content)
    jsonschema.validate(document, CATALOGUE_SCHEMA)
    urls = [d["dcat:downloadURL"] for ds in document["dcat:dataset"] for d in ds["dcat:distribution"]]
    assert {u.rsplit("/", 1)[1] for u in urls} == set(opendata.FILES) - {"catalog.json"}
    for url in urls:
        assert client.get("/du-lieu-mo/" + url.rsplit("/", 1)[1]).status_code == 200
    assert document["dct:license"] == "https://creativecommons.org/licenses/by/4.0/"


def test_the_beat_task_rewrites_the_files_and_unknown_names_are_404(client, published):
    before = default_storage.open("opendata/catalog.json").read()
    assert set(tasks.publish_open_data()) == set(opendata.FILES)
    assert default_storage.exists("opendata/thong-ke.csv")
    assert (
        json.loads(default_storage.open("opendata/catalog.json").read())["dct:title"] == json.loads(before)["dct:title"]
    )
    assert client.get("/du-lieu-mo/secret.txt").status_code == 404
    assert client.get("/du-lieu-mo/..%2Fsettings.py").status_code == 404


def test_the_public_page_links_the_open_data_and_shows_one_period(client, published):
    agency, _ = published
    response = client.get("/thong-ke/", {"month": FIRST.strftime("%Y-%m")})
    assert response.status_code == 200
    for name in opendata.FILES:
        assert f'href="/du-lieu-mo/{name}"' in response.text
    chart = json.loads(response.text.split('id="stats-chart-data" type="application/json">')[1].split("</script>")[0])
    # The chart covers the month of the table, agency by agency, not a year of months.
    whole = service.summarise(service.stats_rows(scope=service.Scope(), first_day=dt.date(2026, 3, 1), last_day=MARCH))
    assert chart["labels"] == [agency.name] and chart["received"] == [whole["received"]]
    assert 'class="mb-4 stats-index"' in response.text


def test_the_licence_is_the_setting_in_the_catalogue_and_on_the_page(client, hand_built, settings):
    # The default: CC BY 4.0, named, with the terms of Decree 47/2020/NĐ-CP, Article 18.
    opendata.opendata_publish(today=MARCH)
    document = json.loads(client.get("/du-lieu-mo/catalog.json").content)
    assert document["dct:license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert document["dct:rights"].startswith("Creative Commons Attribution 4.0 (CC BY 4.0).")
    assert "Điều 18 Nghị định 47/2020/NĐ-CP" in document["dct:rights"]
    settings.OPEN_DATA_LICENSE = "https://data.example.gov.vn/giay-phep-du-lieu-mo"
    settings.OPEN_DATA_LICENSE_NAME = "Giấy phép dữ liệu mở của tỉnh"
    opendata.opendata_publish(today=MARCH)
    document = json.loads(client.get("/du-lieu-mo/catalog.json").content)
    assert document["dct:license"] == "https://data.example.gov.vn/giay-phep-du-lieu-mo"
    assert {ds["dct:license"] for ds in document["dcat:dataset"]} == {document["dct:license"]}
    assert all(ds["dct:rights"].startswith("Giấy phép dữ liệu mở của tỉnh.") for ds in document["dcat:dataset"])
    page = client.get("/thong-ke/", {"month": FIRST.strftime("%Y-%m")}).text
    licence = page.split("data-licence>")[1].split("</p>")[0]
    assert 'href="https://data.example.gov.vn/giay-phep-du-lieu-mo" rel="license"' in licence
    assert "Giấy phép dữ liệu mở của tỉnh" in licence and "CC BY" not in licence
