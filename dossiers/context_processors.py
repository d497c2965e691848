"""Template context of the dossier part: the worklist counts of the officer menu, and the rule
set in force today (the texts the footer and pages cite)."""

from functools import partial

from django.utils.functional import SimpleLazyObject

from dossiers.worklists import navigation_counts
from procedures import selectors as procedure_selectors


def worklists(request) -> dict:
    # A callable, for officers only (it answers {} without a query for anyone else): the
    # counts are looked up, cached briefly in Redis, only when a template shows them.
    return {"worklist_counts": partial(navigation_counts, user=getattr(request, "user", None))}


def rulebook(request) -> dict:
    # Lazy, and never a query: the administrator's rule sets from the cache (filled on every
    # change), the built-in ones while it is cold.
    return {"rules_in_force": SimpleLazyObject(procedure_selectors.rule_set_in_force_cached)}
