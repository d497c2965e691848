"""API routes of petitions under /api/v1/."""

from django.urls import path

from dossiers.petitions.api import OfficerPetitionListView, PetitionActionView, PetitionDetailView, PetitionListView

urlpatterns = [
    path("petitions/", PetitionListView.as_view(), name="api-petitions"),
    path("petitions/<str:code>/", PetitionDetailView.as_view(), name="api-petition"),
    path("petitions/<str:code>/actions/", PetitionActionView.as_view(), name="api-petition-actions"),
    path("officer/petitions/", OfficerPetitionListView.as_view(), name="api-officer-petitions"),
]
