"""How the OpenAPI schema describes the portal API's authentication (imported by PortalConfig.ready())."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PortalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.auth.PortalTokenAuthentication"
    name = "portalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "A contact's portal token: `Token <key>` (made on the portal's account page).",
        }


class PortalSessionScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.auth.PortalSessionAuthentication"
    name = "portalSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "handoff_portal_api"}
