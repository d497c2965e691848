"""API routes of the dossiers app under /api/v1/; each module lists its own routes."""

from dossiers.api import applicant, filing, officer, payments, stats, tracking

urlpatterns = [
    *filing.urlpatterns,
    *applicant.urlpatterns,
    *tracking.urlpatterns,
    *officer.urlpatterns,
    *payments.urlpatterns,
    *stats.urlpatterns,
]
