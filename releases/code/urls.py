"""Pages of code traceability, added to the releases namespace (releases/urls.py)."""

from django.urls import path

from releases.code import views

urlpatterns = [
    path("repositories/", views.repository_list, name="repositories"),
    path("repositories/new/", views.repository_create_page, name="repository-create"),
    path("repositories/<int:pk>/", views.repository_detail, name="repository"),
    path("repositories/<int:pk>/edit/", views.repository_edit_page, name="repository-edit"),
    path("repositories/<int:pk>/scan/", views.repository_scan_page, name="repository-scan"),
    path("code/defects/<int:pk>/", views.defect_code_panel, name="defect-code"),
    path("<int:pk>/code/", views.release_code_panel, name="release-code"),
    path("<int:pk>/mark-fixed/<int:defect_pk>/", views.release_mark_fixed, name="mark-fixed"),
]
