"""Signals other apps send to the portal's integrations (webhooks, national-portal sync).

``dossier_event_recorded`` is sent by ``dossiers.core.events.event_append`` inside the
transaction that appends the event (a receiver records its work there and sends it through
the outbox, so it happens exactly when the event commits), with ``event_id``, ``dossier_id``,
``action``, ``from_state``, ``to_state``, and the dossier's ``applicant_id`` and
``organisation_id`` (so a receiver can tell cheaply whether anyone listens).
"""

from django.dispatch import Signal

dossier_event_recorded = Signal()
