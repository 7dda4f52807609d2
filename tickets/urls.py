from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_create_page, name="create"),
    path("bulk/", views.ticket_bulk_page, name="bulk"),
    path("customers/", views.customer_suggestions, name="customer_suggestions"),
    path("contacts/", views.contact_choices, name="contact_choices"),
    path("severity/", views.severity_preview, name="severity"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/escalate/", views.ticket_escalate_page, name="escalate"),
    path("<int:pk>/escalate/similar/", views.ticket_similar_defects_page, name="similar"),
    path("<int:pk>/link/", views.ticket_link_defect_page, name="link"),
    path("<int:pk>/unlink/<int:defect_pk>/", views.ticket_unlink_defect_page, name="unlink"),
    path("<int:pk>/escalate/problem-back/", views.ticket_problem_back_page, name="problem-back"),
    path("<int:pk>/comments/", views.ticket_comment_page, name="comment"),
    path("<int:pk>/status/", views.ticket_status_page, name="status"),
]
