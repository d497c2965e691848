"""The replica's lag from what it answers (`portal.db_router.lag_from`), the cases the real pair
in test_db_router.py cannot produce on demand: a standby freshly started that has replayed no
transaction yet, and an alias pointing at a server that is not a standby."""

import math

import pytest

from portal import db_router


@pytest.mark.parametrize(
    ("caught_up", "since_last_replay", "lag"),
    [
        # Replayed all the primary had written when asked.
        (True, 12.5, 0.0),
        (True, None, 0.0),
        # Behind: the age of the last transaction replayed, an upper bound.
        (False, 3.25, 3.25),
        # The clocks of two hosts may disagree by a little: never a negative lag.
        (False, -0.5, 0.0),
        # Behind and nothing replayed since the standby started: unknown, so too far behind.
        # (Reading 0 here sent a report to a standby that had not yet received the commit.)
        (False, None, math.inf),
        # Not a standby at all (its replay position is NULL).
        (None, None, math.inf),
    ],
)
def test_lag_from_what_the_replica_answers(caught_up, since_last_replay, lag):
    assert db_router.lag_from(caught_up=caught_up, since_last_replay=since_last_replay) == lag


def test_an_unknown_lag_reads_the_primary(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    monkeypatch.setattr(db_router, "replica_lag_seconds", lambda: math.inf)
    with db_router.replica_reads() as reads:
        assert not reads.use
        assert not reads.notice
        assert db_router.replica_alias() == "default"
