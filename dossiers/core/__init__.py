"""The dossier core: the state machine and everything a transition needs, nothing above it.

- ``machine``: the table of every state change (``TRANSITIONS``) and its runner (``transition_run``);
- ``events``: the append-only, hash-chained events;
- ``steps``, ``clock``, ``codes``, ``pins``: the workflow steps, the paused clock, dossier and
  result codes, tracking PINs;
- ``access``, ``fees``, ``supplements``: the reads the guards need;
- ``notices``: what the applicant and officers are told; ``pipelines``: the Celery chains a change
  sets off, enqueued on commit; ``text``: the one cleaning of free text and money.

The core imports only models, constants and other apps' public faces. Views, API, tasks,
services and statistics call it; it never calls them (import-linter keeps the rule).
"""
