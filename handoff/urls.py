from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import account_views, views, views_saved
from tickets.views.dashboard import home

urlpatterns = [
    path("", home, name="home"),
    # Pages name their icon (templates/base.html); the admin's and a browser's own guess land here.
    path("favicon.ico", lambda request: redirect(static("favicon.svg")), name="favicon"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notifications-read-one"),
    path("notifications/read-all/", views.notification_read_all, name="notifications-read-all"),
    path("views/", views_saved.saved_view_save_page, name="saved-view-save"),
    path("views/<int:pk>/delete/", views_saved.saved_view_delete_page, name="saved-view-delete"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", account_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("account/tokens/", account_views.token_list, name="account-tokens"),
    path("account/preferences/", account_views.preferences, name="account-preferences"),
    path("account/tokens/<int:pk>/revoke/", account_views.token_revoke, name="account-token-revoke"),
    path("admin/", admin.site.urls),
    path("tickets/", include("tickets.urls")),
    path("defects/", include("defects.urls")),
    path("requests/", include("enhancements.urls")),
    path("releases/", include("releases.urls")),
    path("portal/", include("portal.urls")),
    path("", include("portal.urls_staff")),
    path("", include("sync.urls")),
    path("api/", include("handoff.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start-up script is served as its own file (the split view) so the
    # Content-Security-Policy needs no inline script; its page and widgets do set
    # inline styles, allowed on this page only.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
]
