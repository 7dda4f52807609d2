from django.urls import path

from enhancements import views

app_name = "enhancements"

urlpatterns = [
    path("", views.request_queue_page, name="queue"),
    path("report/", views.request_report_page, name="report"),
    path("<int:pk>/", views.request_detail_page, name="detail"),
    path("<int:pk>/comments/", views.request_comment_page, name="comment"),
    path("<int:pk>/convert/", views.request_convert_page, name="convert"),
    path("<int:pk>/send-to-tracker/", views.request_send_to_tracker_page, name="send-to-tracker"),
    path("from-defect/<int:pk>/", views.request_from_defect_page, name="from-defect"),
    path("from-ticket/<int:pk>/", views.request_send_page, name="send"),
    path("from-ticket/<int:pk>/join/", views.request_join_page, name="join"),
]
