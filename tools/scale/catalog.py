"""The fixed part of a seeded help desk: people, teams, products, releases, customers."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User

from core.roles import AGENTS, ENGINEERS, MANAGERS
from core.versions import version_sort_key
from defects.models import RoutingRule, Team
from releases.models import Release
from tickets.models import Component, Contact, Customer, Product, ProductVersion
from tools.scale import texts
from tools.scale.bulk import reserve_ids, write_rows

MARKER_USERNAME = "scale-agent-001"
SPECIALISTS_BY_COMPONENT = texts.SPECIALIST_TEAMS
RELEASED_PER_PRODUCT = 36  # monthly releases over the three years
PLANNED_PER_PRODUCT = 3


@dataclass
class ProductInfo:
    product: Product
    components: list[Component]
    versions: list[ProductVersion]
    released: list[Release]  # oldest first
    planned: list[Release]
    team_of_component: dict[int, Team]


@dataclass
class Catalog:
    agents: list[User]
    engineers: list[User]
    products: list[ProductInfo]
    customer_ids: list[int]
    contacts_of: dict[int, list[int]] = field(default_factory=dict)


def already_seeded() -> bool:
    return User.objects.filter(username=MARKER_USERNAME).exists()


def _users(prefix: str, count: int, group_name: str, password_hash: str) -> list[User]:
    users = [
        User(username=f"scale-{prefix}-{n:03d}", email=f"{prefix}{n}@scale.example", password=password_hash)
        for n in range(1, count + 1)
    ]
    User.objects.bulk_create(users)
    users = list(User.objects.filter(username__startswith=f"scale-{prefix}-").order_by("username"))
    group = Group.objects.get(name=group_name)
    group.user_set.add(*users)
    return users


def _people(agents: int, engineers: int) -> tuple[list[User], list[User]]:
    # One hash for all: hashing 70 passwords one by one would take longer than the whole seed.
    password_hash = make_password("handoff")
    seeded_agents = _users("agent", agents, AGENTS, password_hash)
    seeded_engineers = _users("engineer", engineers, ENGINEERS, password_hash)
    _users("manager", 2, MANAGERS, password_hash)
    return seeded_agents, seeded_engineers


def _team(name: str, members: list[User]) -> Team:
    team, _ = Team.objects.get_or_create(name=name)
    team.members.add(*members)
    return team


def _missing_created(model, product: Product, key: str, wanted: list) -> list:
    """Every wanted row of the product, existing ones kept as they are, new ones created in one query."""
    existing = {getattr(obj, key): obj for obj in model.objects.filter(product=product)}
    model.objects.bulk_create([obj for obj in wanted if getattr(obj, key) not in existing])
    by_key = {getattr(obj, key): obj for obj in model.objects.filter(product=product)}
    return [by_key[getattr(obj, key)] for obj in wanted]


def _product(
    rng: random.Random, name: str, code: str, components: list[str], engineers: list[User],
    specialists: dict[str, Team], now: datetime, span: timedelta,
) -> ProductInfo:
    team = _team(f"{name} engineering", rng.sample(engineers, k=min(4, len(engineers))))
    product, _ = Product.objects.get_or_create(code=code, defaults={"name": name, "default_team": team})
    parts = _missing_created(Component, product, "name", [Component(product=product, name=c) for c in components])
    team_of_component: dict[int, Team] = {}
    rules = []
    for component in parts:
        for team_name, owned in SPECIALISTS_BY_COMPONENT.items():
            if component.name in owned:
                team_of_component[component.pk] = specialists[team_name]
                rules.append(RoutingRule(product=product, component=component, team=specialists[team_name],
                                         priority=10))
    if not RoutingRule.objects.filter(product=product).exists():
        RoutingRule.objects.bulk_create(rules)
    major = rng.randint(2, 5)
    numbers = [f"{major + i // 6}.{(i % 6) // 2}.{i % 2}" for i in range(RELEASED_PER_PRODUCT)]
    # bulk_create skips save(), so the sort keys are computed here.
    versions = _missing_created(ProductVersion, product, "name", [
        ProductVersion(product=product, name=number, sort_key=version_sort_key(number)) for number in numbers
    ])
    wanted = []
    for index, number in enumerate(numbers):
        shipped_at = now - span + span * (index + 1) / (RELEASED_PER_PRODUCT + 1)
        wanted.append(Release(
            product=product, version=number, version_key=version_sort_key(number),
            status=Release.Status.RELEASED, released_at=shipped_at, planned_date=shipped_at.date(),
            notes=f"{name} {number}",
        ))
    next_major = major + RELEASED_PER_PRODUCT // 6
    for index in range(PLANNED_PER_PRODUCT):
        number = f"{next_major}.{index}.0"
        wanted.append(Release(
            product=product, version=number, version_key=version_sort_key(number),
            planned_date=(now + timedelta(days=45 * (index + 1))).date(),
        ))
    releases = _missing_created(Release, product, "version", wanted)
    released = sorted((r for r in releases if r.is_released), key=lambda r: r.released_at)
    planned = [r for r in releases if not r.is_released]
    return ProductInfo(product, parts, versions, released, planned, team_of_component)


def _customers(rng: random.Random, count: int, since: datetime) -> tuple[list[int], dict[int, list[int]]]:
    taken = set(Customer.objects.values_list("name", flat=True))
    names = texts.company_names(count, taken)
    ids = reserve_ids(Customer, len(names))
    write_rows(Customer, ({"id": pk, "name": name, "created_at": since} for pk, name in zip(ids, names, strict=True)))
    contact_rows: list[dict] = []
    for pk, name in zip(ids, names, strict=True):
        domain = name.lower().replace(" ", "-") + ".example"
        for n in range(rng.randint(1, 4)):
            first, last = rng.choice(texts.FIRST_NAMES), rng.choice(texts.LAST_NAMES)
            contact_rows.append({
                "customer_id": pk, "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{n}@{domain}",
                "phone": f"+44 20 7946 {rng.randint(0, 9999):04d}",
            })
    contact_ids = reserve_ids(Contact, len(contact_rows))
    contacts_of: dict[int, list[int]] = {}
    for pk, row in zip(contact_ids, contact_rows, strict=True):
        row["id"] = pk
        contacts_of.setdefault(row["customer_id"], []).append(pk)
    write_rows(Contact, contact_rows)
    return ids, contacts_of


def build_catalog(
    rng: random.Random, *, customers: int, agents: int, engineers: int, now: datetime, span: timedelta
) -> Catalog:
    seeded_agents, seeded_engineers = _people(agents, engineers)
    specialists = {
        name: _team(name, rng.sample(seeded_engineers, k=min(3, len(seeded_engineers))))
        for name in SPECIALISTS_BY_COMPONENT
    }
    products = [
        _product(rng, name, code, components, seeded_engineers, specialists, now, span)
        for name, code, components in texts.PRODUCTS
    ]
    customer_ids, contacts_of = _customers(rng, customers, now - span)
    return Catalog(seeded_agents, seeded_engineers, products, customer_ids, contacts_of)
