"""Plausible words for seeded tickets and defects, so searches and lists look like real use."""

import random

PRODUCTS: list[tuple[str, str, list[str]]] = [
    ("Ledger", "ledger", ["Invoices", "Payments", "Tax", "Reports", "Exports", "Bank feeds"]),
    ("Payroll", "payroll", ["Payslips", "Timesheets", "Pensions", "Leave", "Year end"]),
    ("Inventory", "inventory", ["Stock levels", "Barcodes", "Warehouses", "Transfers", "Suppliers"]),
    ("Storefront", "storefront", ["Checkout", "Catalogue", "Search", "Promotions", "Shipping"]),
    ("Analytics", "analytics", ["Dashboards", "Charts", "Scheduled reports", "Data import"]),
    ("Identity", "identity", ["Login", "Single sign-on", "Password reset", "Two-factor", "Roles"]),
    ("Messaging", "messaging", ["Email", "SMS", "Templates", "Notifications"]),
    ("Field Service", "field-service", ["Scheduling", "Mobile app", "Work orders", "Maps", "Sync"]),
]

# Components owned by a team other than the product's default team.
SPECIALIST_TEAMS: dict[str, list[str]] = {
    "Platform": ["Exports", "Data import", "Sync", "Bank feeds"],
    "Mobile": ["Mobile app", "Maps", "Barcodes"],
    "Security": ["Login", "Single sign-on", "Two-factor", "Roles"],
}

OBJECTS = [
    "PDF export", "CSV import", "invoice total", "payslip", "dashboard chart", "search results",
    "tax calculation", "password reset email", "login page", "checkout button", "stock count",
    "barcode scan", "scheduled report", "SMS reminder", "work order list", "map view",
    "bank statement import", "currency conversion", "discount code", "shipping label",
    "timesheet approval", "leave balance", "two-factor prompt", "role editor", "email template",
    "sync queue", "year-end summary", "supplier list", "transfer form", "promotion banner",
]
PROBLEMS = [
    "times out", "fails with error 500", "shows the wrong total", "is blank", "crashes the app",
    "is very slow", "creates duplicate entries", "loses unsaved changes", "ignores the filter",
    "rounds amounts incorrectly", "shows another customer's name", "never arrives",
    "rejects valid input", "freezes the browser", "uses the wrong date format",
    "cannot be opened", "returns an empty file", "shows an untranslated message",
]
CONDITIONS = [
    "on large accounts", "after upgrading", "in Firefox", "when the locale is German",
    "for multi-currency orders", "on Windows Server 2019", "with more than 1000 rows",
    "after midnight UTC", "on iOS 17", "behind a proxy", "for new users", "on the first login",
    "when two people edit at once", "with special characters in the name", "",
]
ENVIRONMENTS = [
    "Windows 11, Chrome 128", "macOS 14, Safari 17", "Ubuntu 22.04, Firefox 130",
    "iOS 17.5, app 4.2", "Android 14, app 4.1", "Windows Server 2019, Edge", "On-premises, PostgreSQL 14",
]
FIRST_NAMES = [
    "Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas", "Kara", "Luis",
    "Mei", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Yusuf",
]
LAST_NAMES = [
    "Novak", "Okafor", "Larsen", "Moreau", "Schmidt", "Tanaka", "Silva", "Kowalski", "Haddad",
    "Nguyen", "Fischer", "Rossi", "Patel", "Byrne", "Costa", "Lindqvist",
]
COMPANY_WORDS = [
    "Northwind", "Bluefin", "Cedar", "Harbor", "Granite", "Maple", "Summit", "Riverside",
    "Lumen", "Orbit", "Pioneer", "Quarry", "Redwood", "Silverline", "Tidewater", "Vantage",
    "Westgate", "Yellowstone", "Zephyr", "Alder", "Beacon", "Copper", "Delta", "Evergreen",
    "Falcon", "Golden", "Highland", "Ironbridge", "Juniper", "Keystone",
]
COMPANY_TRADES = [
    "Logistics", "Foods", "Clinics", "Retail", "Energy", "Builders", "Hotels", "Pharma",
    "Dental", "Textiles", "Motors", "Insurance", "Media", "Farms", "Schools", "Transit",
    "Labs", "Outfitters", "Printing", "Travel",
]
COMPANY_FORMS = ["Ltd", "Inc", "GmbH", "SA", "BV"]


def title(rng: random.Random) -> str:
    condition = rng.choice(CONDITIONS)
    thing = rng.choice(OBJECTS)
    text = f"{thing[0].upper()}{thing[1:]} {rng.choice(PROBLEMS)}"
    return f"{text} {condition}".strip()


def description(rng: random.Random, headline: str) -> str:
    other = rng.choice(OBJECTS)
    return (
        f"{headline}.\n\nThe customer says the {other} {rng.choice(PROBLEMS)} as well, "
        f"{rng.choice(CONDITIONS) or 'every time'}. It started last week and blocks "
        f"{rng.choice(['one user', 'several users', 'the whole team'])}."
    )


def ticket_subject(rng: random.Random, headline: str) -> str:
    prefix = rng.choice(["", "", "Urgent: ", "Re: ", "Question: "])
    return f"{prefix}{headline}"[:200]


def company_names(count: int, taken: set[str]) -> list[str]:
    """`count` distinct company names not in `taken`; numbered once the word pairs run out."""
    names: list[str] = []
    serial = 0
    for index in range(count * 4):
        word = COMPANY_WORDS[index % len(COMPANY_WORDS)]
        trade = COMPANY_TRADES[(index // len(COMPANY_WORDS)) % len(COMPANY_TRADES)]
        form = COMPANY_FORMS[(index // (len(COMPANY_WORDS) * len(COMPANY_TRADES))) % len(COMPANY_FORMS)]
        name = f"{word} {trade} {form}"
        if index >= len(COMPANY_WORDS) * len(COMPANY_TRADES) * len(COMPANY_FORMS):
            serial += 1
            name = f"{name} {serial}"
        if name not in taken:
            names.append(name)
            taken.add(name)
        if len(names) == count:
            break
    return names
