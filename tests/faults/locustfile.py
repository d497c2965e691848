"""The load of `make faults` (tests/faults/test_load.py): citizens filing and tracking through
the API, officers receiving what arrives. Tokens and the procedure come from the JSON file named
by FAULTS_LOAD_PLAN; every code answered 201 is written to FAULTS_LOAD_CODES at the end, for the
test's reconciliation. Any 5xx counts as a failure in locust's statistics."""

import itertools
import json
import os
import threading
import uuid

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["FAULTS_LOAD_PLAN"]).read())  # noqa: SIM115, PTH123 - read once at start
# The document each filing carries, written by the test: this process has no Django set up, so it
# imports nothing of the project (tests.dossiers.factories imports the models).
PDF = open(PLAN["pdf"], "rb").read()  # noqa: SIM115, PTH123 - read once at start
FILED: list[str] = []
_lock = threading.Lock()
_citizens = itertools.cycle(PLAN["citizens"])
_officers = itertools.cycle(PLAN["officers"])


def _check(response, *ok: int) -> None:
    # With catch_response, locust counts every 4xx as a failure unless told otherwise: a 409 of
    # an officer receiving what another officer received first is an expected answer.
    if response.status_code in ok:
        response.success()
    else:
        response.failure(f"{response.status_code}: {response.text[:200]}")


class Citizen(HttpUser):
    weight = 10
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {next(_citizens)}"}
        self.mine: list[str] = []

    @task(2)
    def file(self) -> None:
        # A citizen files a few dossiers and then tracks them (PLAN["filings_per_citizen"]): without
        # a cap, 100 users filing every few seconds make thousands of dossiers in five minutes, a
        # province's month, whose PDF pipelines then take longer to drain than the load itself.
        if len(self.mine) >= PLAN["filings_per_citizen"]:
            return
        with self.client.post(
            "/api/v1/dossiers/",
            headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex},
            data={"procedure": PLAN["procedure"], "data": json.dumps({"full_name": "Phạm Thị Tải"})},
            files={f"documents[{PLAN['requirement']}]": ("to-khai.pdf", PDF, "application/pdf")},
            name="file",
            catch_response=True,
        ) as response:
            _check(response, 201)
            if response.status_code == 201:
                code = response.json()["code"]
                self.mine.append(code)
                with _lock:
                    FILED.append(code)

    @task(3)
    def track(self) -> None:
        if self.mine:
            with self.client.get(
                f"/api/v1/dossiers/{self.mine[-1]}/", headers=self.headers, name="track", catch_response=True
            ) as response:
                _check(response, 200)


class Officer(HttpUser):
    weight = 1
    wait_time = between(1, 2)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {next(_officers)}"}

    @task
    def work(self) -> None:
        with _lock:
            code = FILED.pop(0) if len(FILED) > 20 else None
            if code:
                FILED.append(code)  # kept for the reconciliation; rotated to the end
        if code is None:
            return
        with self.client.post(
            f"/api/v1/dossiers/{code}/actions/",
            headers=self.headers,
            json={"action": "receive"},
            name="receive",
            catch_response=True,
        ) as response:
            # 409: received already by another officer of the desk.
            _check(response, 200, 409)


@events.test_stop.add_listener
def _write_codes(**_kwargs) -> None:
    with open(os.environ["FAULTS_LOAD_CODES"], "w") as out:  # noqa: PTH123
        json.dump(sorted(set(FILED)), out)
