from django.urls import path

from sync import link_views, views

app_name = "sync"

urlpatterns = [
    path("hooks/<int:pk>/", views.webhook, name="webhook"),
    path("defects/<int:pk>/link-tracker/", link_views.link_existing, name="link-existing"),
    path("sync/", views.connection_list, name="list"),
    path("sync/<int:pk>/", views.connection_detail, name="detail"),
    path("sync/<int:pk>/resume/", views.connection_resume_view, name="resume"),
    path("sync/rows/<int:pk>/retry/", views.outbox_retry_view, name="retry"),
]
