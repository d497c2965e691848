"""The public page lists only the answered petitions whose petitioner agreed, with no personal
data; the others are not found there."""

import pytest

from dossiers.petitions import services
from tests.petitions.conftest import file_one

pytestmark = pytest.mark.django_db

ANSWER = "Sở đã rà soát và rút ngắn thời gian giải quyết còn 3 ngày làm việc từ tháng sau."


@pytest.fixture
def petitions(world):
    published = file_one(world, title="Đã trả lời, đồng ý công khai")
    services.petition_answer(user=world.officer, code=published.code, answer=ANSWER)
    private = file_one(world, title="Đã trả lời, không đồng ý công khai", consent=False)
    services.petition_answer(user=world.officer, code=private.code, answer=ANSWER)
    pending = file_one(world, title="Chưa trả lời nhưng đồng ý công khai")
    refused = file_one(world, title="Bị từ chối, đồng ý công khai")
    services.petition_refuse(user=world.officer, code=refused.code, reason="Không thuộc thẩm quyền của Sở.")
    mine = file_one(world, user=world.owner, title="Của người có tài khoản, đã trả lời")
    services.petition_answer(user=world.leader, code=mine.code, answer=ANSWER)
    return published, private, pending, refused, mine


def test_the_list_shows_only_published_ones_without_personal_data(
    client, world, petitions, django_assert_max_num_queries
):
    published, private, pending, refused, mine = petitions
    with django_assert_max_num_queries(2):  # the count and the page, whatever the rows
        response = client.get("/phan-anh-kien-nghi/")
    body = response.content.decode()
    assert response.status_code == 200
    assert published.title in body and mine.title in body
    for hidden in (private, pending, refused):
        assert hidden.title not in body
    for personal in ("Trần Văn Ẩn Danh", "0912345678", "an.danh@example.vn", world.owner.full_name, world.owner.email):
        assert personal not in body


def test_the_detail_shows_the_answer_and_only_for_published_ones(client, world, petitions):
    published, private, pending, refused, mine = petitions
    response = client.get(f"/phan-anh-kien-nghi/{published.code}/")
    body = response.content.decode()
    assert response.status_code == 200 and ANSWER in body and published.content in body
    for personal in ("Trần Văn Ẩn Danh", "0912345678", "an.danh@example.vn"):
        assert personal not in body
    for hidden in (private, pending, refused):
        assert client.get(f"/phan-anh-kien-nghi/{hidden.code}/").status_code == 404
    assert client.get("/phan-anh-kien-nghi/KHONG-CO/").status_code == 404
