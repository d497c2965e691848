"""``POST /api/v1/dossiers/{code}/refunds/``: officers record a refund through the API.

Same rule as the dossier page's refund form (the receiving agency's reception), plus the
officer API's: a token with the ``officer`` scope or a session with TOTP.
"""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from rest_framework.test import APIClient

from dossiers.models import Payment, PaymentRefund
from dossiers.models.payment import PaymentStatus
from dossiers.services import payments
from portal.constants import OfficerRole
from portal.services import api_token_create
from tests.dossiers.payments.factories import _start, _waiting, gateway_result
from tests.factories import AgencyFactory, OfficerMembershipFactory

pytestmark = pytest.mark.django_db


def _paid():
    dossier, citizen = _waiting()
    payment, _url = _start(dossier, citizen)
    assert payments.payment_ipn(params=gateway_result(payment))[0] == "00"
    return dossier, citizen, Payment.objects.get(pk=payment.pk)


def _officer(agency, role=OfficerRole.RECEPTION, *, totp=True):
    user = OfficerMembershipFactory(agency=agency, role=role).user
    if totp:
        TOTP.activate(user, generate_totp_secret())
    return user


def _api(user=None) -> APIClient:
    """Signed in by session (an officer with TOTP counts as having passed it, tests/conftest.py)."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def _url(dossier) -> str:
    return f"/api/v1/dossiers/{dossier.code}/refunds/"


def test_reception_records_partial_then_full_refund():
    dossier, _citizen, payment = _paid()
    officer = _officer(dossier.receiving_agency)
    api = _api(officer)
    body = {"payment": payment.reference, "amount": 5000, "reason": "Thu thừa lệ phí", "reference": "CK-001"}
    first = api.post(_url(dossier), body, format="json")
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["refund"]["amount"] == 5000 and data["refund"]["reference"] == "CK-001"
    assert data["payment"]["status"] == "succeeded" and data["payment"]["refunded"] == 5000
    # More than what is left: refused, field by field, nothing recorded.
    too_much = api.post(_url(dossier), {**body, "amount": 10001}, format="json")
    assert too_much.status_code == 400 and "amount" in too_much.json()["error"]["fields"]
    rest = api.post(_url(dossier), {**body, "amount": 10000, "reference": ""}, format="json")
    assert rest.status_code == 201
    assert rest.json()["payment"]["status"] == "refunded" and rest.json()["payment"]["refunded"] == 15000
    assert PaymentRefund.objects.filter(payment=payment).count() == 2
    assert dossier.events.filter(action="payment_refunded").count() == 2
    # Fully refunded: nothing more to refund.
    again = api.post(_url(dossier), {**body, "amount": 1}, format="json")
    assert again.status_code == 409 and again.json()["error"]["message"]


def test_bad_amount_and_reason_are_refused_by_field():
    dossier, _citizen, payment = _paid()
    api = _api(_officer(dossier.receiving_agency))
    response = api.post(_url(dossier), {"payment": payment.reference, "amount": 0, "reason": ""}, format="json")
    assert response.status_code == 400
    assert {"amount", "reason"} <= set(response.json()["error"]["fields"])
    assert not PaymentRefund.objects.exists()


def test_unknown_or_unpaid_payment():
    dossier, citizen = _waiting()
    pending, _url_ = _start(dossier, citizen)
    api = _api(_officer(dossier.receiving_agency))
    unknown = api.post(_url(dossier), {"payment": "NOPE", "amount": 1, "reason": "Thu thừa lệ phí"}, format="json")
    assert unknown.status_code == 404
    unpaid = api.post(_url(dossier), {"payment": pending.reference, "amount": 1, "reason": "Thu thừa"}, format="json")
    assert unpaid.status_code == 409
    assert not PaymentRefund.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "applicant", "other_agency", "no_totp"])
def test_only_the_receiving_agencys_reception_may_refund(who):
    dossier, citizen, payment = _paid()
    user = {
        "anonymous": lambda: None,
        "applicant": lambda: citizen,
        "other_agency": lambda: _officer(AgencyFactory()),
        "no_totp": lambda: _officer(dossier.receiving_agency, totp=False),
    }[who]()
    response = _api(user).post(
        _url(dossier), {"payment": payment.reference, "amount": 1000, "reason": "Thu thừa lệ phí"}, format="json"
    )
    assert response.status_code == {"anonymous": 401, "applicant": 403, "other_agency": 404, "no_totp": 403}[who]
    assert not PaymentRefund.objects.exists()


def test_a_token_needs_the_officer_scope():
    dossier, _citizen, payment = _paid()
    officer = _officer(dossier.receiving_agency, totp=False)
    body = {"payment": payment.reference, "amount": 1000, "reason": "Thu thừa lệ phí"}
    for scopes, expected in ((["dossiers:write"], 403), (["officer"], 201)):
        _token, raw = api_token_create(
            user=officer, name=f"một cửa {scopes[0]}", scopes=scopes, by_operator="officer" in scopes
        )
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert api.post(_url(dossier), body, format="json").status_code == expected
    assert PaymentRefund.objects.get().recorded_by == officer
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
