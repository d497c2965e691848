"""tracking API (placeholder)."""

urlpatterns: list = []
