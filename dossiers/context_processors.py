"""Template context of the dossier part: the worklist counts of the officer menu."""

from functools import partial

from dossiers.worklists import navigation_counts


def worklists(request) -> dict:
    # A callable, for officers only (it answers {} without a query for anyone else): the
    # counts are looked up, cached briefly in Redis, only when a template shows them.
    return {"worklist_counts": partial(navigation_counts, user=getattr(request, "user", None))}
