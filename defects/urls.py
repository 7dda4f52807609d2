from django.urls import path

from defects import views

app_name = "defects"

urlpatterns = [
    path("", views.defect_list, name="list"),
    path("<int:pk>/", views.defect_detail, name="detail"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
