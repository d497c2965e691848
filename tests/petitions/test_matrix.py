"""Who may read and act on a petition, door by door: the page, the API with a session, the API
with a bearer token. Roles: the petitioner, another citizen, anonymous, an officer of the agency
it is routed to (reception, leader: act; specialist: read only), an officer of another agency,
and an officer whose token lacks the ``officer`` scope."""

import pytest

from dossiers.petitions.models import PetitionEvent
from tests.dossiers.helpers import api_for, officer_api
from tests.petitions.conftest import file_one

pytestmark = pytest.mark.django_db

ANSWER = "Cơ quan đã tiếp thu và sẽ hướng dẫn cụ thể trong tuần tới."
ROLES = ("owner", "other", "anonymous", "officer", "leader", "specialist", "stranger", "officer_plain_token")


def _user(world, role):
    return {
        "owner": world.owner,
        "other": world.other,
        "anonymous": None,
        "officer": world.officer,
        "leader": world.leader,
        "specialist": world.specialist,
        "stranger": world.stranger,
        "officer_plain_token": world.officer,
    }[role]


def _door(client, world, role, door):
    user = _user(world, role)
    if door == "token":
        if user is None:
            return client
        if role == "officer_plain_token" or user.officer_memberships.count() == 0:
            return api_for(user)
        return officer_api(user)
    if user is not None:
        client.force_login(user)
    return client


READ = {  # role -> (page, API session, API token)
    "owner": (200, 200, 200),
    "other": (404, 404, 404),
    "anonymous": (302, 401, 401),
    "officer": (200, 200, 200),
    "leader": (200, 200, 200),
    "specialist": (200, 200, 200),
    "stranger": (404, 404, 404),
    "officer_plain_token": (200, 200, 404),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("door", ["page", "session", "token"])
def test_read(client, world, role, door):
    petition = file_one(world, user=world.owner)
    api = _door(client, world, role, door)
    if door == "page":
        response = api.get(f"/petitions/{petition.code}/")
    else:
        response = api.get(f"/api/v1/petitions/{petition.code}/")
    expected = READ[role][("page", "session", "token").index(door)]
    assert response.status_code == expected
    if expected == 200:
        assert petition.title in response.content.decode()
        if door != "page":
            sender = response.json()["sender"]
            assert sender == (
                {"name": "Nguyễn Thị Chủ Đơn", "phone": "", "email": world.owner.email}
                if role in ("officer", "leader", "specialist", "officer_plain_token")
                else None
            )
    else:
        assert petition.content not in response.content.decode()


ACT = {  # role -> (page, API session, API token); success is 302 on the page, 200 in the API
    "owner": (403, 403, 403),
    "other": (404, 404, 404),
    "anonymous": (302, 401, 401),
    "officer": (302, 200, 200),
    "leader": (302, 200, 200),
    "specialist": (403, 403, 403),
    "stranger": (404, 404, 404),
    "officer_plain_token": (302, 200, 404),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("door", ["page", "session", "token"])
def test_answer(client, world, role, door):
    petition = file_one(world, user=world.owner)
    api = _door(client, world, role, door)
    if door == "page":
        response = api.post(f"/officer/petitions/{petition.code}/act/", {"action": "answer", "text": ANSWER})
    else:
        response = api.post(
            f"/api/v1/petitions/{petition.code}/actions/",
            {"action": "answer", "text": ANSWER},
            content_type="application/json",
        )
    expected = ACT[role][("page", "session", "token").index(door)]
    assert response.status_code == expected
    petition.refresh_from_db()
    done = expected == 200 or (expected == 302 and role != "anonymous")
    assert (petition.state == "answered") is done
    assert PetitionEvent.objects.filter(petition=petition, action="answer").exists() is done
    if done:
        assert petition.answer == ANSWER and petition.closed_by == _user(world, role)


@pytest.mark.parametrize("door", ["session", "token"])
def test_the_officer_worklist_api(client, world, door):
    mine = file_one(world, user=world.owner)
    if door == "token":
        api = officer_api(world.officer)
    else:
        client.force_login(world.officer)
        api = client
    response = api.get("/api/v1/officer/petitions/?list=open")
    assert response.status_code == 200
    assert [p["code"] for p in response.json()["results"]] == [mine.code]
    stranger = officer_api(world.stranger).get("/api/v1/officer/petitions/?list=open")
    assert stranger.status_code == 200 and stranger.json()["results"] == []
    assert api_for(world.owner).get("/api/v1/officer/petitions/").status_code == 403
    bad = api.get("/api/v1/officer/petitions/?list=khac")
    assert bad.status_code == 400 and "list" in bad.json()["error"]["fields"]
