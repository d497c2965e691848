"""files pages (placeholder)."""

urlpatterns: list = []
