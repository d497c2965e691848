"""Pages of the dossiers app, grouped by who uses them; each module lists its own routes."""

from dossiers.views import (
    applicant,
    control_sheet,
    files,
    filing,
    intake,
    officer,
    officer_dossier,
    payments,
    register,
    stats,
    tracking,
    verify,
    worklists,
    zalo,
)

app_name = "dossiers"

urlpatterns = [
    *filing.urlpatterns,
    *applicant.urlpatterns,
    *files.urlpatterns,
    *tracking.urlpatterns,
    *zalo.urlpatterns,
    *officer.urlpatterns,
    *officer_dossier.urlpatterns,
    *intake.urlpatterns,
    *register.urlpatterns,
    *worklists.urlpatterns,
    *control_sheet.urlpatterns,
    *payments.urlpatterns,
    *stats.urlpatterns,
    *verify.urlpatterns,
]
