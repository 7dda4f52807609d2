from django.urls import path

from portal.views import pages, sign_in

app_name = "portal"

urlpatterns = [
    path("", pages.ticket_list, name="home"),
    path("sign-in/", sign_in.sign_in, name="sign_in"),
    path("sign-in/link/", sign_in.link_request, name="link_request"),
    path("sign-out/", sign_in.sign_out, name="sign_out"),
    path("link/<str:token>/", sign_in.link, name="link"),
    path("welcome/<str:token>/", sign_in.welcome, name="welcome"),
    path("tickets/new/", pages.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", pages.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/reply/", pages.ticket_reply, name="reply"),
    path("tickets/<int:pk>/files/<int:file_pk>/", pages.ticket_file, name="file"),
    path("installations/", pages.installations, name="installations"),
    path("installations/<int:pk>/", pages.installation_edit, name="installation"),
    path("installations/<int:pk>/remove/", pages.installation_remove, name="installation_remove"),
    path("account/", pages.account, name="account"),
    path("unsubscribe/<str:token>/", pages.unsubscribe, name="unsubscribe"),
]
