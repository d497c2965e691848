import psycopg
import pytest
from django.core.cache import cache

from tests.dossiers.stats.factories import hand_built_set
from tests.factories import (
    AgencyFactory,
    OfficerMembershipFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _vietnamese_first():
    """Each test starts in Vietnamese: a request with Accept-Language: en activates English
    in the thread, and Django does not switch back on its own."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _officers_sign_in_with_both_factors(monkeypatch):
    """``client.force_login(user)`` of a user with an authenticator app (``with_totp``) stands
    for the whole sign-in, the second factor included, as the login form records it; tests of
    the second factor itself set the session's record with ``second_factor_verified``."""
    from allauth.mfa.models import Authenticator
    from django.test import Client

    from tests.factories import second_factor_verified

    force_login = Client.force_login

    def login(self, user, backend=None):
        force_login(self, user, backend)
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            second_factor_verified(self, user)

    monkeypatch.setattr(Client, "force_login", login)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate limits and cached values live in Redis: each test starts from an empty db."""
    cache.clear()
    yield


# Tables no migration writes to: a committed row in one of them after a test's teardown was
# left by that test (a thread or a process of its own committing outside the test's
# transaction, a transactional test whose flush was skipped). The next tests would fail on
# duplicates far from the cause; the culprit fails here instead, and the rows are removed.
LEAK_TABLES = ("procedures_agency", "procedures_procedure", "dossiers_dossier", "portal_user")
_probes: dict[tuple, psycopg.Connection] = {}


def _committed_leftovers() -> list[str]:
    from django.db import connections

    db = connections["default"].settings_dict
    key = (db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["NAME"])
    try:
        probe = _probes.get(key)
        if probe is None or probe.closed:
            probe = _probes[key] = psycopg.connect(
                host=key[0], port=key[1], dbname=key[2], user=db["USER"] or "postgres", autocommit=True,
                connect_timeout=5,
            )  # fmt: skip
        found = [t for t in LEAK_TABLES if probe.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0]]  # noqa: S608
        if found:
            probe.execute(f"TRUNCATE {', '.join(found)} CASCADE")
        return found
    except psycopg.Error:
        _probes.pop(key, None)
        return []  # no test database (not created yet, or a private server already gone)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    if "django_db_setup" in getattr(item, "fixturenames", ()) or item.get_closest_marker("django_db"):
        found = _committed_leftovers()
        assert not found, f"{item.nodeid} left committed rows in {', '.join(found)} (removed now)"
    return result


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def agency(db):
    return AgencyFactory()


@pytest.fixture
def officer_factory(db):
    def make(role, agency=None, **kwargs):
        membership = OfficerMembershipFactory(role=role, agency=agency or AgencyFactory(), **kwargs)
        return membership.user

    return make


@pytest.fixture
def hand_built():
    """The statistics' hand-built set: ``(agency, version)``, figures in tests.dossiers.stats.factories.EXPECTED.

    Here because the statistics tests and the dashboard's browser test (tests/e2e) both use it."""
    return hand_built_set()


@pytest.fixture(scope="session")
def s3_server():
    """An S3 server speaking the real protocol over HTTP on 127.0.0.1 (moto in server mode)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings):
    """Private storage on a fresh bucket of the S3 server, as ``STORAGE_BACKEND=s3`` configures
    it; yields a boto3 client and the bucket name, to look at the objects from the other side."""
    import uuid

    import boto3

    from portal.settings.base import s3_storage_options

    bucket = f"portal-test-{uuid.uuid4().hex[:12]}"
    credentials = {"access_key": "test-access-key", "secret_key": "test-secret-key", "region": "us-east-1"}
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id=credentials["access_key"],
        aws_secret_access_key=credentials["secret_key"],
        region_name=credentials["region"],
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGE_BACKEND = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(bucket=bucket, endpoint_url=s3_server, **credentials),
        },
    }
    yield client, bucket


def pytest_make_parametrize_id(config, val, argname):
    """Bytes parameters are named by their first 16 bytes and their length: generated content
    (an encrypted PDF's random key, a fresh signature) must not change a test's id, or the two
    xdist workers collect different tests and the run stops before it starts."""
    if isinstance(val, bytes | bytearray):
        return f"{repr(bytes(val[:16]))[2:-1]}…{len(val)}B"
    return None


@pytest.fixture(autouse=True)
def _celery_joins_allowed():
    """Celery marks "a task is running here, waiting on a result would block" in one
    process-wide flag while an eager task runs (``denied_join_result``), saving and restoring
    it around each run. Two eager tasks in two threads of the live server (the browser tests)
    can restore in the wrong order and leave it set for good, and every later ``.get()`` in this
    process then fails with "Never call result.get() within a task!". No test starts inside a task."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
