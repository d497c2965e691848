"""The public tracking answer's cache keys, which every new event of a dossier must drop.

``dossiers.tracking`` fills the cache; the event writer (``core.events``) empties it on commit.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import translation


def public_answer_key(code: str, language: str | None = None) -> str:
    return f"tracking:public:{language or translation.get_language() or settings.LANGUAGE_CODE}:{code}"


def public_answer_forget(code: str) -> None:
    """Drop the cached public answers of ``code`` in every language."""
    if code:
        cache.delete_many([public_answer_key(code, language) for language, _name in settings.LANGUAGES])
