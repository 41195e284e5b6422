from django.urls import path

from apps.operations import views

app_name = "operations"

urlpatterns = [
    path("audit.csv", views.audit_csv, name="audit_csv"),
]
