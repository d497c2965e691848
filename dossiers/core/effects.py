"""The side effects a transition enqueues once its transaction has committed.

Tasks are named, not imported: the core sits below ``dossiers.tasks`` (which calls services and
the core), so it enqueues by the registered name through a Celery signature. The signature
resolves the registered task (every app's ``tasks`` module is loaded when the apps are ready,
``DossiersConfig.ready``), so the base task's outbox and retry policy and the test settings'
eager mode apply as to a direct call; the queue comes from ``TASK_ROUTES``.
"""

from celery import signature


def task_enqueue(name: str, *args, **kwargs) -> None:
    """Enqueue the registered task ``name`` (e.g. ``"dossiers.tasks.render_slip"``)."""
    signature(name, args=args, kwargs=kwargs).apply_async()


def slip_enqueue(*, dossier_id: int, kind: str, event_seq: int) -> None:
    """Render the official slip a transition issues (pdf queue), sealed afterwards when released."""
    task_enqueue("dossiers.tasks.render_slip", dossier_id, str(kind), event_seq)


def result_render_enqueue(*, result_id: int) -> None:
    """Render a draft result from the procedure's template (pdf queue)."""
    task_enqueue("dossiers.tasks.render_result", result_id)


def acknowledgement_enqueue(*, dossier_id: int, pin: str) -> None:
    """A submission's acknowledgement: the in-app notice, then render, seal and mail (pdf queue)."""
    task_enqueue("dossiers.tasks.render_acknowledgement", dossier_id, pin=pin)


def payment_receipt_enqueue(*, payment_id: int) -> None:
    """The e-receipt of a settled payment (pdf queue)."""
    task_enqueue("dossiers.tasks.render_payment_receipt", payment_id)
