"""applicant API (placeholder)."""

urlpatterns: list = []
