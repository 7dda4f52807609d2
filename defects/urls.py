from django.urls import path

from defects import views, views_queue

app_name = "defects"

urlpatterns = [
    path("", views.defect_list, name="list"),
    path("queue/", views_queue.defect_queue, name="queue"),
    path("queue/bulk/", views_queue.defect_queue_bulk, name="queue-bulk"),
    path("<int:pk>/", views.defect_detail, name="detail"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
