"""Every REST endpoint, on one router."""

from django.urls import include, path

from core.api_notifications import NotificationViewSet
from core.api_saved_views import SavedViewViewSet
from core.api_tokens import ApiTokenViewSet, ObtainTokenView
from core.api_views import ApiRouter
from defects.api.views import DefectViewSet, RoutingRuleViewSet, TeamViewSet
from enhancements.api.views import DefectConvertView, RequestViewSet
from portal.api.views import ContactInviteView, MagicLinkView, PortalInstallationViewSet, PortalTicketViewSet
from releases.api.views import ReleaseViewSet
from releases.code.api import BuildViewSet, DefectCodeView, RepositoryViewSet, repository_webhook
from sync.api import ConnectionViewSet
from sync.api_link import DefectLinkTrackerView
from sync.api_sources import DefectSyncView
from tickets.api.views import CustomerViewSet, ProductViewSet, TicketViewSet

router = ApiRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("products", ProductViewSet, basename="product")
router.register("teams", TeamViewSet, basename="team")
router.register("routing-rules", RoutingRuleViewSet, basename="routing-rule")
router.register("releases", ReleaseViewSet, basename="release")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("defects", DefectViewSet, basename="defect")
router.register("requests", RequestViewSet, basename="request")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("views", SavedViewViewSet, basename="saved-view")
router.register("connections", ConnectionViewSet, basename="connection")
router.register("auth/tokens", ApiTokenViewSet, basename="api-tokens")
router.register("repositories", RepositoryViewSet, basename="repository")
router.register("builds", BuildViewSet, basename="build")
# The customer portal's API: contacts only (portal tokens or the portal's session).
router.register("portal/tickets", PortalTicketViewSet, basename="portal-ticket")
router.register("portal/installations", PortalInstallationViewSet, basename="portal-installation")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("defects/<int:pk>/link-tracker/", DefectLinkTrackerView.as_view(), name="defect-link-tracker"),
    path("defects/<int:pk>/commits/", DefectCodeView.as_view(), name="defect-commits"),
    path("defects/<int:pk>/sync/", DefectSyncView.as_view(), name="defect-sync"),
    path("defects/<int:pk>/convert/", DefectConvertView.as_view(), name="defect-convert"),
    path("repositories/<int:pk>/webhook/", repository_webhook, name="repository-webhook"),
    path("contacts/<int:pk>/invite/", ContactInviteView.as_view(), name="contact-invite"),
    path("portal/magic-link/", MagicLinkView.as_view(), name="portal-magic-link"),
    path("", include(router.urls)),
]
