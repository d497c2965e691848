"""Once-only prefill of a new draft from the sandbox national databases (served by a live
server, over the signed protocol): the values, their marks, read-only, the audit rows, consent,
and a missing answer leaving the form to manual entry with the reason."""

import pytest

from dossiers.models import Dossier, NationalDataLookup
from portal.settings.base import national_data_sources
from tests.dossiers.factories import OnlineVersionFactory
from tests.factories import CitizenProfileFactory, OrganisationFactory, OrganisationMembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)
SCHEMA = {
    "fields": [
        {"name": "requester_name", "type": "text", "label": "Họ tên", "required": True, "prefill": "profile.full_name"},
        {"name": "requester_id", "type": "citizen_id", "label": "Số định danh", "prefill": "profile.citizen_id"},
        {"name": "requester_dob", "type": "date", "label": "Ngày sinh", "prefill": "profile.date_of_birth"},
        {"name": "note", "type": "text", "label": "Ghi chú"},
    ]
}


@pytest.fixture
def sandbox_lgsp(live_server, settings):
    settings.LGSP_CLIENT_ID = "portal-sandbox"
    settings.LGSP_SECRET = "lgsp-test-secret"  # noqa: S105
    settings.NATIONAL_DATA_SOURCES = national_data_sources(
        f"{live_server.url}/sandbox-lgsp", "portal-sandbox", "lgsp-test-secret", 5.0
    )
    return live_server


@pytest.fixture
def binh(db):
    return CitizenProfileFactory(
        citizen_id="079190001234", full_name="Tran Thi Binh (typed)", sex="female", date_of_birth="1990-01-01"
    )


def _start(client, version, **data):
    return client.post(f"/dossiers/new/{version.procedure.code}/", data)


def test_the_draft_is_prefilled_from_the_population_database_with_consent(client, sandbox_lgsp, binh):
    version = OnlineVersionFactory(form_schema=SCHEMA)
    client.force_login(binh.user)
    response = _start(client, version, national_consent="on")
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.form_data["requester_name"] == "Trần Thị Bình"
    assert dossier.form_data["requester_dob"] == "1990-02-03"
    assert dossier.form_sources == {
        "requester_name": "population",
        "requester_dob": "population",
        "requester_id": "population",
    }
    lookup = NationalDataLookup.objects.get()
    assert (lookup.user, lookup.dossier, lookup.source, lookup.status, lookup.consent) == (
        binh.user,
        dossier,
        "population",
        "found",
        True,
    )
    assert lookup.fields == ["date_of_birth", "full_name"] and lookup.received_fields == ["date_of_birth", "full_name"]

    page = client.get(response["Location"]).content.decode()
    assert page.count("Lấy từ Cơ sở dữ liệu quốc gia về dân cư; không sửa được.") == 3
    assert "Môi trường thử nghiệm" in page
    # A changed value is refused by the server (the form does not allow a correction): 400, the
    # reason beside the field, and nothing of the post saved.
    refused = client.post(response["Location"], {"data-requester_name": "Tên khác", "data-note": "x", "action": "save"})
    assert refused.status_code == 400
    assert (
        "“Họ tên” lấy từ Cơ sở dữ liệu quốc gia về dân cư; thủ tục này không cho phép sửa thông tin này."
        in refused.content.decode()
    )
    dossier.refresh_from_db()
    assert dossier.form_data["requester_name"] == "Trần Thị Bình" and "note" not in dossier.form_data
    assert dossier.form_corrections == {}
    # The database's answer sent back as it is, the other answers are saved.
    kept = client.post(
        response["Location"], {"data-requester_name": "Trần Thị Bình", "data-note": "x", "action": "save"}
    )
    assert kept.status_code == 302
    dossier.refresh_from_db()
    assert dossier.form_data["requester_name"] == "Trần Thị Bình" and dossier.form_data["note"] == "x"


def test_without_consent_nothing_is_asked(client, sandbox_lgsp, binh):
    version = OnlineVersionFactory(form_schema=SCHEMA)
    client.force_login(binh.user)
    _start(client, version)
    dossier = Dossier.objects.get()
    assert not NationalDataLookup.objects.exists()
    assert dossier.form_data["requester_name"] == "Tran Thi Binh (typed)" and dossier.form_sources == {}


def test_an_unreachable_database_leaves_manual_entry_and_says_why(client, settings, binh):
    settings.NATIONAL_DATA_SOURCES = national_data_sources("http://127.0.0.1:9", "c", "s", 1.0)
    version = OnlineVersionFactory(form_schema=SCHEMA)
    client.force_login(binh.user)
    response = _start(client, version, national_consent="on")
    dossier = Dossier.objects.get()
    assert dossier.form_sources == {} and dossier.form_data["requester_name"] == "Tran Thi Binh (typed)"
    assert NationalDataLookup.objects.get().status == "unavailable"
    page = client.get(response["Location"]).content.decode()
    assert "Không kết nối được Cơ sở dữ liệu quốc gia về dân cư; hãy tự nhập các thông tin này." in page
    assert "không sửa được" not in page


def test_a_wrong_signature_is_refused_by_the_sandbox(client, sandbox_lgsp, settings, binh):
    settings.NATIONAL_DATA_SOURCES["population"]["secret"] = "not-the-secret"  # noqa: S105
    version = OnlineVersionFactory(form_schema=SCHEMA)
    client.force_login(binh.user)
    _start(client, version, national_consent="on")
    assert NationalDataLookup.objects.get().status == "refused"
    assert Dossier.objects.get().form_sources == {}


def test_an_organisation_is_prefilled_from_the_business_registry(client, sandbox_lgsp):
    schema = {
        "fields": [
            {"name": "company", "type": "text", "label": "Tên", "prefill": "organisation.name"},
            {
                "name": "representative",
                "type": "text",
                "label": "Đại diện",
                "prefill": "organisation.legal_representative",
            },
            {"name": "tax", "type": "tax_code", "label": "MST", "prefill": "organisation.tax_code"},
        ]
    }
    version = OnlineVersionFactory(form_schema=schema, for_organisations=True)
    membership = OrganisationMembershipFactory(organisation=OrganisationFactory(tax_code="0100109106"))
    client.force_login(membership.user)
    _start(client, version, on_behalf_of=str(membership.organisation.pk))
    dossier = Dossier.objects.get()
    assert dossier.form_data["company"] == "Công ty TNHH Thử Nghiệm Sandbox"
    assert dossier.form_data["representative"] == "Phạm Văn Đức"
    assert dossier.form_sources["tax"] == "business"
    # The review page shows where each answer came from.
    page = client.get(f"/dossiers/drafts/{dossier.pk}/review/").content.decode()
    assert page.count("từ Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp") == 3


CONSENT = "Tôi đồng ý để Cổng tra cứu thông tin của tôi"


@pytest.mark.parametrize(
    ("schema", "citizen_id", "asked"),
    [
        (SCHEMA, "079190001234", True),  # a field the population database answers, an ID to ask by
        ({"fields": [{"name": "note", "type": "text", "label": "Ghi chú"}]}, "079190001234", False),  # no such field
        (SCHEMA, "", False),  # no ID to ask by
    ],
    ids=["applies", "no-field-it-answers", "no-id"],
)
def test_step_one_asks_for_consent_only_when_the_filing_would_use_it(client, sandbox_lgsp, schema, citizen_id, asked):
    """Step 1 shows here because the citizen may file for an organisation; the consent box is
    on it only when the population database would really be asked (issue 19). A consent posted
    by hand where it does not apply asks nothing."""
    profile = CitizenProfileFactory(citizen_id=citizen_id, full_name="Tran Thi Binh")
    OrganisationMembershipFactory(user=profile.user)
    version = OnlineVersionFactory(form_schema=schema, for_organisations=True)
    client.force_login(profile.user)
    page = client.get(f"/dossiers/new/{version.procedure.code}/")
    assert page.status_code == 200 and "on_behalf_of" in page.content.decode()
    assert (CONSENT in page.content.decode()) is asked
    assert ('name="national_consent"' in page.content.decode()) is asked
    if not asked:
        _start(client, version, on_behalf_of="", national_consent="on")
        assert Dossier.objects.count() == 1 and not NationalDataLookup.objects.exists()
