from django.urls import path

from defects import views, views_queue, views_triage

app_name = "defects"

urlpatterns = [
    path("", views.defect_list, name="list"),
    path("queue/", views_queue.defect_queue, name="queue"),
    path("queue/bulk/", views_queue.defect_queue_bulk, name="queue-bulk"),
    path("<int:pk>/", views.defect_detail, name="detail"),
    path("<int:pk>/transition/", views_triage.defect_transition_page, name="transition"),
    path("<int:pk>/edit/", views_triage.defect_edit_page, name="edit"),
    path("<int:pk>/comments/", views_triage.defect_comment_page, name="comment"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
