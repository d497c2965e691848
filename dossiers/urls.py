"""Pages of the dossiers app, grouped by who uses them; each module lists its own routes."""

from dossiers.views import applicant, files, filing, intake, officer, register, tracking

app_name = "dossiers"

urlpatterns = [
    *filing.urlpatterns,
    *applicant.urlpatterns,
    *files.urlpatterns,
    *tracking.urlpatterns,
    *officer.urlpatterns,
    *intake.urlpatterns,
    *register.urlpatterns,
]
