from django.urls import path

app_name = "defects"

urlpatterns: list = []
