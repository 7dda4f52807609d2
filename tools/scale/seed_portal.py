"""The customer portal at scale: half the customers use it, a share of their contacts have accounts.

Every seeded portal account signs in with the password "handoff" (one hash, as for the seeded
staff). Two in three portal customers show their contacts every ticket of the organisation,
the others only each contact's own; each portal customer runs one product.
"""

import random

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from portal.models import Installation, PortalAccount
from tickets.models import Customer
from tools.scale.bulk import analyze, write_rows
from tools.scale.catalog import Catalog

# Of the customers using the portal, the contacts with an account.
ACCOUNT_SHARE = 0.3


def seed_portal(rng: random.Random, catalog: Catalog, *, password: str = "handoff") -> int:
    """Turn the portal on for every other customer and open accounts; returns how many accounts."""
    portal = catalog.customer_ids[::2]
    organisation = [pk for n, pk in enumerate(portal) if n % 3 != 2]
    Customer.objects.filter(pk__in=organisation).update(portal_enabled=True, portal_scope="organisation")
    Customer.objects.filter(pk__in=set(portal) - set(organisation)).update(portal_enabled=True, portal_scope="own")
    hashed, now = make_password(password), timezone.now()
    accounts = []
    for customer_id in portal:
        contacts = catalog.contacts_of.get(customer_id, [])
        chosen = [pk for pk in contacts if rng.random() < ACCOUNT_SHARE] or contacts[:1]
        accounts += [{"contact_id": pk, "password": hashed, "invited_at": now, "activated_at": now,
                      "created_at": now} for pk in chosen]
    written = write_rows(PortalAccount, accounts)
    installations = []
    for customer_id in portal:
        info = rng.choice(catalog.products)
        version = rng.choice(info.versions) if info.versions else None
        installations.append({"customer_id": customer_id, "product_id": info.product.pk,
                              "version_id": version.pk if version else None, "environment": "Production",
                              "updated_at": now})
    write_rows(Installation, installations)
    analyze([PortalAccount, Installation])
    return written
