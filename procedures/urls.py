from django.urls import path

from procedures import views

app_name = "procedures"

urlpatterns = [
    path("procedures/", views.procedure_list, name="list"),
    path("procedures/<str:code>/", views.procedure_detail, name="detail"),
    path(
        "procedures/<str:code>/documents/<int:pk>/template/",
        views.document_template_download,
        name="document_template",
    ),
]
