"""Small helpers shared by the dossiers pages."""

from django.core.exceptions import ValidationError


def errors_of(error: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as ``{field: [messages]}`` (``__all__`` when not per field)."""
    if hasattr(error, "error_dict"):
        return {key: list(messages) for key, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}
