"""The once-only adapters (`portal.national_data`): signed requests to the LGSP, timeouts and
retries, and every bad answer turned into a status and a Vietnamese reason."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal import national_data
from portal.national_data import LookupStatus, Source, national_lookup

MAPPING = {"full_name": "hoVaTen", "date_of_birth": "ngaySinh"}


@pytest.fixture
def lgsp():
    """A misbehaving LGSP on 127.0.0.1: each test queues the answers it gives, in order."""
    answers, requests_seen = [], []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests_seen.append((dict(self.headers), body))
            status, payload, delay = answers.pop(0) if answers else (500, b"", 0)
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source = Source(
        name="population",
        endpoint=f"http://127.0.0.1:{server.server_address[1]}/population/lookup",
        client_id="portal",
        secret="s3cret",  # noqa: S106
        mapping=MAPPING,
        timeout=0.5,
        retries=1,
    )
    yield source, answers, requests_seen
    server.shutdown()
    server.server_close()


def _found(record) -> bytes:
    return json.dumps({"status": "found", "record": record}).encode()


def test_a_found_record_is_mapped_and_the_request_signed(lgsp):
    source, answers, seen = lgsp
    answers.append((200, _found({"hoVaTen": "Trần Thị Bình", "ngaySinh": "1990-02-03", "extra": "x"}), 0))
    result = national_lookup(source=source, key="079190001234", fields=["full_name", "date_of_birth"], purpose="t")
    assert result.found and result.values == {"full_name": "Trần Thị Bình", "date_of_birth": "1990-02-03"}
    headers, body = seen[0]
    assert json.loads(body) == {"key": "079190001234", "fields": ["hoVaTen", "ngaySinh"], "purpose": "t"}
    expected = national_data.signature(
        secret="s3cret",  # noqa: S106
        timestamp=headers["X-LGSP-Timestamp"],
        nonce=headers["X-LGSP-Nonce"],
        body=body,
    )
    assert headers["X-LGSP-Signature"] == expected and headers["X-LGSP-Client"] == "portal"


def test_a_server_error_is_retried(lgsp):
    source, answers, seen = lgsp
    answers += [(503, b"busy", 0), (200, _found({"hoVaTen": "An"}), 0)]
    result = national_lookup(source=source, key="1", fields=["full_name"], purpose="t")
    assert result.found and len(seen) == 2


@pytest.mark.parametrize(
    ("answers", "status", "text"),
    [
        ([(200, b"<html>not json", 0)], LookupStatus.INVALID, "trả lời không đúng định dạng"),
        ([(200, b'{"status": "found", "record": "x"}', 0)], LookupStatus.INVALID, "không đúng định dạng"),
        ([(401, b"{}", 0)], LookupStatus.REFUSED, "từ chối yêu cầu tra cứu"),
        ([(200, b'{"status": "not_found"}', 0)], LookupStatus.NOT_FOUND, "không có thông tin này"),
        ([(200, _found({}), 2), (200, _found({}), 2)], LookupStatus.TIMEOUT, "không trả lời kịp"),
        ([(500, b"", 0), (502, b"", 0)], LookupStatus.UNAVAILABLE, "Không kết nối được"),
    ],
    ids=["garbage", "bad-record", "refused", "not-found", "timeout", "down"],
)
def test_bad_answers_are_a_status_and_a_reason(lgsp, answers, status, text):
    source, queued, _seen = lgsp
    queued += answers
    result = national_lookup(source=source, key="1", fields=["full_name"], purpose="t")
    assert result.status == status and not result.values
    assert text in result.message and "Cơ sở dữ liệu quốc gia về dân cư" in result.message


def test_no_server_at_all_is_unavailable():
    source = Source(name="business", endpoint="http://127.0.0.1:9/x", client_id="c", secret="s", mapping={})
    result = national_lookup(source=source, key="0100109106", fields=[], purpose="t")
    assert result.status == LookupStatus.UNAVAILABLE
    assert "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp" in result.message
