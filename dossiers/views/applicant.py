"""applicant pages (placeholder)."""

urlpatterns: list = []
