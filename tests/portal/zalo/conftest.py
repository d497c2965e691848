import pytest

from portal.zalo_sandbox import ZaloSandbox

APP_ID, SECRET, TOKEN = "test-app", "test-oa-secret", "test-zalo-token"


def zalo_settings(settings, sandbox: ZaloSandbox) -> None:
    settings.ZALO_ACCESS_TOKEN = TOKEN
    settings.ZALO_APP_ID = APP_ID
    settings.ZALO_OA_SECRET_KEY = SECRET
    settings.ZALO_ZNS_URL = f"{sandbox.url}/message/template"
    settings.ZALO_OA_MESSAGE_URL = f"{sandbox.url}/v3.0/oa/message/cs"
    settings.ZALO_ZNS_TEMPLATES = {
        **settings.ZALO_ZNS_TEMPLATES,
        "dossier.result_ready": {
            "template_id": "301234",
            "params": {"ma_ho_so": "dossier_code", "ten_thu_tuc": "procedure", "duong_dan": "url"},
        },
    }


@pytest.fixture
def sandbox_factory(settings):
    started = []

    def start(webhook_url: str) -> ZaloSandbox:
        sandbox = ZaloSandbox(webhook_url=webhook_url, app_id=APP_ID, oa_secret=SECRET, access_token=TOKEN).start()
        started.append(sandbox)
        zalo_settings(settings, sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()
