"""`manage.py load_demo`: the demo help desk. Safe to run again.

Users and the catalogue are found or created by their natural keys. Releases,
tickets, escalations, links, triage moves and shipping go through the services
(so numbers, routing, severities, notifications and audit rows are real), and
only where they have not happened yet: a ticket is created when none with the
same subject and customer exists, a defect is moved on while it is still new,
a release is shipped while it is planned. All of it in one transaction.
"""

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.models import AuditEntry, Channel
from core.roles import grant_manager_admin_permissions
from core.saved_views import saved_view_save
from defects.models import Defect, RoutingRule, Team
from defects.services.changes import defect_update
from defects.services.transitions import defect_transition
from enhancements.services.requests import request_create_from_ticket
from portal.models import Installation, PortalAccount
from portal.services.accounts import portal_invite
from portal.services.installations import installation_save
from releases.models import Release
from releases.services.releases import release_create
from releases.services.ship import release_ship
from tickets.models import Component, Contact, Customer, Product, ProductVersion, Ticket
from tickets.services.customers import customer_update
from tickets.services.escalation import open_defect_of, ticket_escalate, ticket_link_defect
from tickets.services.tickets import ticket_create, ticket_set_status
from tools import demo_data as data

# The path each help-desk status is reached by, from `new`.
STATUS_PATH = {
    "new": [],
    "open": ["open"],
    "awaiting_customer": ["open", "awaiting_customer"],
    "resolved": ["open", "resolved"],
    "closed": ["open", "resolved", "closed"],
}


def _demo_ticket(subject: str) -> Ticket:
    """The demo's ticket with this subject (the first, should a user have copied it)."""
    return Ticket.objects.filter(subject=subject).order_by("pk").first()


class Command(BaseCommand):
    help = "Load the demo help desk (users agent, engineer, manager; password 'handoff'). Idempotent."

    def handle(self, *args, **options):
        with transaction.atomic():
            users = self._users()
            teams = self._teams(users)
            products = self._catalogue(teams)
            releases = self._releases(products, users["manager"])
            customers = self._customers()
            created = self._tickets(users, products, customers)
            self._progress(users["engineer"], releases)
            self._ship(releases, users["manager"])
            self._follow_up(users)
            self._portal(users["manager"], customers, products)
            self._work_lists(users)
        # Said after the commit, so it comes after anything the commit sends (notification emails).
        counts = {
            "users": User.objects.count(),
            "customers": Customer.objects.count(),
            "products": Product.objects.count(),
            "teams": Team.objects.count(),
            "routing rules": RoutingRule.objects.count(),
            "releases": Release.objects.count(),
            "tickets": Ticket.objects.count(),
            "defects": Defect.objects.count(),
            "audit entries": AuditEntry.objects.count(),
        }
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(f"Demo data ready ({created} new tickets): {summary}.")
        self.stdout.write(f"Sign in as agent, engineer, pm or manager with the password '{data.PASSWORD}'.")
        self.stdout.write(
            f"Customer portal: /portal/ as {' or '.join(data.PORTAL_USERS)}, password '{data.PASSWORD}'."
        )

    def _users(self) -> dict[str, User]:
        grant_manager_admin_permissions()
        users = {}
        for username, first, last, group, is_staff in data.USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@handoff.example"},
            )
            if created:
                user.set_password(data.PASSWORD)
            # Managers use the admin through their group's permissions, not as superusers.
            user.is_staff = is_staff
            user.save()
            user.groups.add(Group.objects.get(name=group))
            users[username] = user
        return users

    def _teams(self, users: dict[str, User]) -> dict[str, Team]:
        teams = {}
        for name, members in data.TEAMS.items():
            team, _ = Team.objects.get_or_create(name=name)
            team.members.add(*(users[m] for m in members))
            teams[name] = team
        for name, members in data.PRODUCT_TEAMS.items():
            team, _ = Team.objects.get_or_create(name=name, defaults={"kind": Team.Kind.PRODUCT})
            team.members.add(*(users[m] for m in members))
            teams[name] = team
        return teams

    def _catalogue(self, teams: dict[str, Team]) -> dict[str, Product]:
        products = {}
        for name, code, default_team, components, versions in data.PRODUCTS:
            product, _ = Product.objects.get_or_create(
                code=code, defaults={"name": name, "default_team": teams.get(default_team)}
            )
            for component in components:
                Component.objects.get_or_create(product=product, name=component)
            for version in versions:
                ProductVersion.objects.get_or_create(product=product, name=version)
            products[name] = product
        for priority, product, component, keyword, team, active in data.ROUTING_RULES:
            RoutingRule.objects.get_or_create(
                product=products[product],
                component=Component.objects.get(product=products[product], name=component)
                if component else None,
                keyword=keyword,
                team=teams[team],
                defaults={"priority": priority, "active": active},
            )
        for priority, product, team in data.REQUEST_RULES:
            RoutingRule.objects.get_or_create(
                product=products[product], kind=RoutingRule.Kind.REQUEST, component=None, keyword="",
                team=teams[team], defaults={"priority": priority},
            )
        return products

    def _releases(self, products: dict[str, Product], manager: User) -> dict[tuple[str, str], Release]:
        today = timezone.localdate()
        releases = {}
        for product, version, days, _ in data.RELEASES:
            release = Release.objects.filter(product=products[product], version=version).first()
            if release is None:
                release = release_create(
                    product=products[product], version=version, planned_date=today + timedelta(days=days),
                    actor=manager, channel=Channel.SYSTEM,
                )
            releases[(product, version)] = release
        return releases

    def _ship(self, releases, manager: User) -> None:
        for product, version, _, shipped in data.RELEASES:
            release = releases[(product, version)]
            release.refresh_from_db()
            if shipped and not release.is_released:
                release_ship(release=release, actor=manager, channel=Channel.SYSTEM)

    def _customers(self) -> dict[str, Customer]:
        customers = {}
        for name, contacts in data.CUSTOMERS.items():
            customer, _ = Customer.objects.get_or_create(name=name)
            for contact_name, email, phone in contacts:
                Contact.objects.get_or_create(
                    customer=customer, email=email, defaults={"name": contact_name, "phone": phone}
                )
            customers[name] = customer
        return customers

    def _tickets(self, users, products, customers) -> int:
        created = 0
        for subject, customer_name, product_name, component, version, agent, text, then in data.TICKETS:
            customer = customers[customer_name]
            if Ticket.objects.filter(subject=subject, customer=customer).exists():
                continue
            product = products[product_name]
            actor = users[agent]
            ticket = ticket_create(
                actor=actor,
                channel=Channel.WEB,
                subject=subject,
                description=text,
                customer=customer,
                contact=customer.contacts.first(),
                product=product,
                component=product.components.get(name=component) if component else None,
                version=product.versions.get(name=version) if version else None,
            )
            created += 1
            action, detail = then
            if action == "escalate":
                ticket_escalate(ticket=ticket, actor=actor, channel=Channel.WEB, **detail)
            elif action == "request":
                request_create_from_ticket(ticket=ticket, actor=actor, channel=Channel.WEB, **detail)
            elif action == "link":
                raised_by = _demo_ticket(detail)
                ticket_link_defect(
                    ticket=ticket, defect=open_defect_of(raised_by), actor=actor, channel=Channel.WEB
                )
            else:
                for status in STATUS_PATH[detail]:
                    ticket_set_status(ticket=ticket, status=status, actor=actor, channel=Channel.WEB)
        return created

    def _progress(self, engineer: User, releases) -> None:
        """Move some defects along as engineering would, through the triage services, once."""
        for subject, step in data.DEFECT_PROGRESS.items():
            defect = _demo_ticket(subject).current_defect
            if defect.status != Defect.Status.NEW:
                continue  # already moved on by an earlier load (or by someone using the demo)
            # The releases first: a defect moves to fixed only once it names its release.
            product = defect.product.name
            changes = {
                field: releases[(product, step[key])]
                for field, key in (("planned_release", "planned"), ("fixed_in_release", "fixed"))
                if key in step
            }
            if changes:
                defect = defect_update(defect=defect, actor=engineer, channel=Channel.SYSTEM, **changes)
            for status in step["path"]:
                defect = defect_transition(
                    defect=defect, to=status, actor=engineer, channel=Channel.SYSTEM,
                    reason=step.get("reason", "") if status == step["path"][-1] else "",
                )

    def _portal(self, manager: User, customers: dict[str, Customer], products: dict[str, Product]) -> None:
        """The customer portal on for some customers, a few contacts with a password, what customers run."""
        for name, scope in data.PORTAL.items():
            customer = customers[name]
            if not customer.portal_enabled:
                customer_update(customer=customer, values={"portal_enabled": True, "portal_scope": scope},
                                actor=manager, channel=Channel.SYSTEM)
        for email in data.PORTAL_USERS:
            contact = Contact.objects.get(email=email)
            if PortalAccount.objects.filter(contact=contact).exists():
                continue
            account = portal_invite(contact=contact, actor=manager, channel=Channel.SYSTEM)
            account.set_password(data.PASSWORD)
            account.save(update_fields=["password"])
        for name, installed in data.INSTALLATIONS.items():
            customer = customers[name]
            for product_name, version, environment in installed:
                product = products[product_name]
                if Installation.objects.filter(customer=customer, product=product, environment=environment).exists():
                    continue
                installation_save(
                    customer=customer, product=product, version=product.versions.get(name=version),
                    environment=environment, actor=manager, channel=Channel.SYSTEM,
                )

    def _follow_up(self, users) -> None:
        """The help desk tells the customers whose fix has shipped and resolves their tickets."""
        shipped = Ticket.objects.filter(
            defect_links__defect__status=Defect.Status.RELEASED, status=Ticket.Status.OPEN
        ).select_related("assignee")
        for ticket in shipped:
            ticket_set_status(
                ticket=ticket, status=Ticket.Status.RESOLVED, actor=ticket.assignee or users["agent"],
                channel=Channel.WEB, reason="Told the customer the fix has shipped.",
            )

    def _work_lists(self, users) -> None:
        """The manager's shared views (saved over on a second load), and a few tickets last updated days ago.

        A ticket is aged only while it is fresh from this load: one someone has since worked on keeps its date.
        """
        for list_name, name, query in data.SHARED_VIEWS:
            saved_view_save(
                owner=users["manager"], list_name=list_name, name=name, query=query, shared=True,
                channel=Channel.SYSTEM,
            )
        now = timezone.now()
        for subject, days in data.LAST_UPDATED_DAYS_AGO.items():
            Ticket.objects.filter(subject=subject, updated_at__gt=now - timedelta(hours=1)).update(
                updated_at=now - timedelta(days=days)
            )
