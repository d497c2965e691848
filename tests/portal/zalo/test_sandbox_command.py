"""`make run`'s sandbox Zalo server (``manage.py zalo_sandbox`` with the dev settings): it takes a
ZNS message with the dev token and calls the webhook back signed as Zalo does; refused elsewhere."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from django.conf import settings

from portal.zalo import SIGNATURE_HEADER, signature

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dev_env(tmp_path) -> dict:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "DATABASE_", "CELERY_", "ZALO_"))
    }
    return env | {"DJANGO_SETTINGS_MODULE": "portal.settings.dev", "PORTAL_VAR_DIR": str(tmp_path)}


def _dev_setting(env, name: str) -> str:
    code = f"from django.conf import settings; print(settings.{name})"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip()  # fmt: skip


def test_the_sandbox_command_sends_signed_delivery_callbacks(tmp_path):
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = _dev_env(tmp_path)
    port = _free_port()
    webhook = f"http://127.0.0.1:{receiver.server_address[1]}/zalo/webhook/"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "zalo_sandbox", "--port", str(port), "--webhook", webhook],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        token, app_id, secret = (
            _dev_setting(env, n) for n in ("ZALO_ACCESS_TOKEN", "ZALO_APP_ID", "ZALO_OA_SECRET_KEY")
        )
        url = f"http://127.0.0.1:{port}/message/template"
        payload = {"phone": "84912345678", "template_id": "t1", "template_data": {"ma_ho_so": "X"}, "tracking_id": "1"}
        for _ in range(100):
            try:
                answer = requests.post(url, json=payload, headers={"access_token": token}, timeout=2).json()
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert answer["error"] == 0 and answer["data"]["msg_id"]
        refused = requests.post(url, json=payload, headers={"access_token": "wrong"}, timeout=2).json()
        assert refused["error"] == -124
        for _ in range(100):
            if received:
                break
            time.sleep(0.05)
        [(headers, body)] = received
        event = json.loads(body)
        assert event["event_name"] == "user_received_message" and event["message"]["msg_id"] == answer["data"]["msg_id"]
        assert headers[SIGNATURE_HEADER] == signature(
            app_id=app_id, body=body, timestamp=event["timestamp"], secret=secret
        )
        listing = requests.get(f"http://127.0.0.1:{port}/sandbox/", timeout=2).json()
        assert "SANDBOX" in listing["sandbox"] and len(listing["templates"]) == 1
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
        receiver.shutdown()
        receiver.server_close()
    assert "SANDBOX Zalo" in output
    assert secret not in output and token not in output  # secrets never logged
