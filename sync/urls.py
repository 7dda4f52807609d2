from django.urls import path

from sync import connection_views, link_views, views

app_name = "sync"

urlpatterns = [
    path("hooks/<int:pk>/", views.webhook, name="webhook"),
    path("defects/<int:pk>/link-tracker/", link_views.link_existing, name="link-existing"),
    path("sync/", views.connection_list, name="list"),
    path("sync/<int:pk>/", views.connection_detail, name="detail"),
    path("sync/<int:pk>/resume/", views.connection_resume_view, name="resume"),
    path("sync/new/", connection_views.connection_new, name="new"),
    path("sync/<int:pk>/edit/", connection_views.connection_edit, name="edit"),
    path("sync/<int:pk>/maps/<str:which>/", connection_views.connection_map, name="map"),
    path("sync/<int:pk>/switch/", connection_views.connection_switch, name="switch"),
    path("sync/<int:pk>/delete/", connection_views.connection_remove, name="delete"),
    path("sync/<int:pk>/test/", connection_views.connection_test, name="test"),
    path("sync/rows/<int:pk>/retry/", views.outbox_retry_view, name="retry"),
]
