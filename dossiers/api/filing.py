"""filing API (placeholder)."""

urlpatterns: list = []
