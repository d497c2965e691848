"""A sandbox Zalo server (SANDBOX — not Zalo): the same HTTP API as Zalo's, from the other side.

- ``POST /message/template`` (ZNS): checks the ``access_token`` header and the phone
  (``84`` + nine digits), answers ``{"error": 0, "message": "Success", "data": {"msg_id", ...}}``,
  then POSTs the delivery event ``user_received_message`` to the portal's webhook, signed as
  Zalo signs it (`portal.zalo.signature`).
- ``POST /v3.0/oa/message/cs`` (OA customer-service message): records the text sent.
- ``POST /sandbox/inject`` with ``{"sender_id", "text"}``: posts a ``user_send_text`` event to
  the portal's webhook, signed, as if a Zalo user had written to the OA; answers the webhook's
  status. ``GET /sandbox/`` lists what was sent (JSON).

Run by `make run` (``manage.py zalo_sandbox``) and by the tests (`ZaloSandbox` on a free port).
"""

import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from portal.zalo import SIGNATURE_HEADER, dumps, signature

logger = logging.getLogger(__name__)

SANDBOX_LABEL = "SANDBOX Zalo (không phải Zalo thật / not the real Zalo)"


class ZaloSandbox:
    def __init__(self, *, webhook_url: str, app_id: str, oa_secret: str, access_token: str, host="127.0.0.1", port=0):
        self.webhook_url = webhook_url
        self.app_id, self.oa_secret, self.access_token = app_id, oa_secret, access_token
        self.templates: list[dict] = []  # ZNS messages taken, with their msg_id
        self.oa_messages: list[dict] = []  # OA texts sent to users
        self.callbacks: list[tuple[str, int]] = []  # (msg_id, webhook status) of each delivery callback
        self.callback_delay = 0.05
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ZaloSandbox":
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        logger.info("%s listening on %s, calling back %s", SANDBOX_LABEL, self.url, self.webhook_url)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what the platform sends to the portal ------------------------------------------------

    def post_event(self, payload: dict, *, timestamp: str | None = None, secret: str | None = None) -> int:
        """POST ``payload`` to the webhook, signed with ``secret`` (the OA secret by default)."""
        payload = {"app_id": self.app_id, **payload, "timestamp": timestamp or str(int(time.time() * 1000))}
        body = dumps(payload)
        mac = signature(app_id=self.app_id, body=body, timestamp=payload["timestamp"], secret=secret or self.oa_secret)
        answer = requests.post(
            self.webhook_url,
            data=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: mac},
            timeout=10,
        )
        return answer.status_code

    def inject_user_text(self, *, sender_id: str, text: str, **kwargs) -> int:
        return self.post_event(
            {
                "event_name": "user_send_text",
                "sender": {"id": sender_id},
                "recipient": {"id": "sandbox-oa"},
                "message": {"text": text, "msg_id": uuid.uuid4().hex},
            },
            **kwargs,
        )

    def _deliver(self, msg_id: str, phone: str) -> None:
        time.sleep(self.callback_delay)
        try:
            status = self._post_delivery(msg_id, phone)
        except requests.RequestException as error:
            logger.warning(
                "%s: delivery callback to %s failed: %s", SANDBOX_LABEL, self.webhook_url, type(error).__name__
            )
            status = 0
        self.callbacks.append((msg_id, status))

    def _post_delivery(self, msg_id: str, phone: str) -> int:
        return self.post_event(
            {
                "event_name": "user_received_message",
                "sender": {"id": "sandbox-oa"},
                "recipient": {"id": phone},
                "message": {"msg_id": msg_id, "delivery_time": str(int(time.time() * 1000))},
            }
        )

    # --- the HTTP side --------------------------------------------------------------------------

    def _handler(self):
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - the base class's name
                logger.debug("%s: " + format, SANDBOX_LABEL, *args)

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self) -> dict | None:
                try:
                    payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                except ValueError:
                    return None
                return payload if isinstance(payload, dict) else None

            def do_GET(self):
                if self.path.rstrip("/") == "/sandbox":
                    self._answer(
                        200, {"sandbox": SANDBOX_LABEL, "templates": sandbox.templates, "oa": sandbox.oa_messages}
                    )
                else:
                    self._answer(404, {"error": -1, "message": "Not found"})

            def do_POST(self):
                payload = self._json()
                if payload is None:
                    return self._answer(200, {"error": -100, "message": "Invalid JSON"})
                if self.path == "/sandbox/inject":
                    try:
                        status = sandbox.inject_user_text(
                            sender_id=str(payload.get("sender_id", "")), text=str(payload.get("text", ""))
                        )
                    except requests.RequestException as error:
                        return self._answer(502, {"error": -1, "message": type(error).__name__})
                    return self._answer(200, {"error": 0, "webhook_status": status})
                if self.headers.get("access_token") != sandbox.access_token:
                    return self._answer(200, {"error": -124, "message": "Access token is invalid"})
                if self.path == "/message/template":
                    return self._template(payload)
                if self.path == "/v3.0/oa/message/cs":
                    return self._oa(payload)
                return self._answer(404, {"error": -1, "message": "Not found"})

            def _template(self, payload: dict) -> None:
                phone = str(payload.get("phone", ""))
                if not (phone.startswith("84") and len(phone) == 11 and phone.isdigit()):
                    return self._answer(200, {"error": -108, "message": "Phone number is invalid"})
                if not payload.get("template_id") or not isinstance(payload.get("template_data"), dict):
                    return self._answer(200, {"error": -112, "message": "Template is invalid"})
                msg_id = uuid.uuid4().hex
                sandbox.templates.append({**payload, "msg_id": msg_id})
                self._answer(
                    200,
                    {
                        "error": 0,
                        "message": "Success",
                        "data": {"msg_id": msg_id, "sent_time": str(int(time.time() * 1000))},
                    },
                )
                threading.Thread(target=sandbox._deliver, args=(msg_id, phone), daemon=True).start()

            def _oa(self, payload: dict) -> None:
                recipient = payload.get("recipient") if isinstance(payload.get("recipient"), dict) else {}
                message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
                if not recipient.get("user_id") or not message.get("text"):
                    return self._answer(200, {"error": -201, "message": "Parameters are invalid"})
                message_id = uuid.uuid4().hex
                sandbox.oa_messages.append({"user_id": recipient["user_id"], "text": message["text"], "id": message_id})
                self._answer(
                    200,
                    {
                        "error": 0,
                        "message": "Success",
                        "data": {"message_id": message_id, "user_id": recipient["user_id"]},
                    },
                )

        return Handler
