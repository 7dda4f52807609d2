"""The portal's rules: accounts and links, what contacts do with their tickets, and emails."""


def contact_channel(contact) -> str:
    """The audit channel of what a contact (a Contact, or a PortalIdentity) does in the portal:
    `portal:<their address>`."""
    return f"portal:{contact.email}"[:40]  # notify.PORTAL_CHANNEL
