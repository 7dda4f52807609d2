from django.urls import path

from releases import views

app_name = "releases"

urlpatterns = [
    path("", views.release_list, name="list"),
    path("new/", views.release_create_page, name="create"),
    path("reports/", views.manager_reports, name="charts"),
    path("<int:pk>/", views.release_detail, name="detail"),
    path("<int:pk>/ship/", views.release_ship_page, name="ship"),
    path("<int:pk>/report/", views.release_report_page, name="report"),
    path("<int:pk>/report/progress/", views.release_notice_progress, name="progress"),
    path("<int:pk>/report/advice/", views.release_upgrade_advice_page, name="advice"),
    path("<int:pk>/notify/", views.release_notify_page, name="notify"),
]

# Code traceability: repositories and the Code panels.
from releases.code.urls import urlpatterns as code_urlpatterns  # noqa: E402

urlpatterns += code_urlpatterns
