from django.urls import path

from procedures.api.calendar import CalendarDueView
from procedures.api.catalogue import AgencyListView, ProcedureDetailView, ProcedureListView, SectorListView

urlpatterns = [
    path("calendar/due", CalendarDueView.as_view(), name="api-calendar-due"),
    path("procedures/", ProcedureListView.as_view(), name="api-procedure-list"),
    path("procedures/<str:code>/", ProcedureDetailView.as_view(), name="api-procedure-detail"),
    path("agencies/", AgencyListView.as_view(), name="api-agency-list"),
    path("fields/", SectorListView.as_view(), name="api-field-list"),
]
