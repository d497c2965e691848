"""The bench data generator writes event chains that verify with the keyed MAC, through the
append-only table (INSERTs only)."""

import pytest
from django.core.management import call_command

from bench import datagen
from dossiers.core.events import events_verify
from dossiers.models import DossierEvent

pytestmark = pytest.mark.django_db


def test_generated_chains_verify_with_the_chain_key():
    call_command("seed_demo", verbosity=0)
    datagen.generate(total=40)
    events = DossierEvent.objects.filter(actor__isnull=True, actor_label="")
    assert events.count() >= 40
    assert set(events.values_list("key_id", flat=True)) == {"test-1"}
    assert events_verify() == []
