"""filing pages (placeholder)."""

urlpatterns: list = []
