"""The portal's language is the visitor's choice, never the browser's guess (issue 19).

Vietnamese is the default for every page whatever ``Accept-Language`` says: a Vietnamese phone
set to English still opens the Vietnamese portal. English comes only from an explicit choice on
the language selector, kept in the language cookie and, for a signed-in person, in the profile
(``User.language``, which also sets the language of notifications). API clients are programs
that say what they want: under ``/api/``, and for any request with a bearer token (file
downloads), the ``Accept-Language`` header is honoured.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

API_PREFIX = "/api/"


def _known(language: str | None) -> str | None:
    return language if language in dict(settings.LANGUAGES) else None


def chosen_language(request) -> str:
    """The language of a request: the cookie, the API's header, else Vietnamese."""
    cookie = _known(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if cookie:
        return cookie
    if request.path.startswith(API_PREFIX) or request.headers.get("Authorization", "").startswith("Bearer "):
        return translation.get_language_from_request(request)
    return settings.LANGUAGE_CODE


class LanguageByChoiceMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware without the browser's guess (its responses keep the rest)."""

    def process_request(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()


def language_remember(*, request, response, user) -> None:
    """At sign-in: a choice made before signing in goes into the profile; a profile that holds
    a choice and a browser that holds none get the cookie."""
    cookie = _known(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if cookie and cookie != user.language:
        user.language = cookie
        user.save(update_fields=["language"])
    elif not cookie and user.language != settings.LANGUAGE_CODE and _known(user.language):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )


@require_POST
def language_set(request):
    """The selector's form: Django's ``set_language`` (cookie, safe redirect) plus the profile."""
    response = set_language(request)
    language = _known(request.POST.get("language"))
    user = request.user
    if language and user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response
