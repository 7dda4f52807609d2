"""What `manage.py load_demo` creates: a small help desk with a few products.

Every row here has a natural key (username, name, subject) so loading again
finds what is already there instead of adding it twice.
"""

# username, first name, last name, role group, is_staff
USERS = [
    ("agent", "Alex", "Agent", "Agents", False),
    ("agent2", "Sam", "Support", "Agents", False),
    ("engineer", "Eli", "Engineer", "Engineers", False),
    ("engineer2", "Priya", "Platform", "Engineers", False),
    ("manager", "Morgan", "Manager", "Managers", True),
    ("pm", "Pat", "Product", "Product managers", False),
]
PASSWORD = "handoff"

# team name -> usernames of its members
TEAMS = {
    "Billing engineering": ["engineer"],
    "Platform": ["engineer2"],
    "Documents & reporting": ["engineer", "engineer2"],
}

# product team name -> usernames of its members (they receive enhancement requests)
PRODUCT_TEAMS = {
    "Product management": ["pm"],
}
# priority, product, product team: enhancement requests of the product go to the team
REQUEST_RULES = [
    (10, "Billing", "Product management"),
    (20, "Customer Portal", "Product management"),
    (30, "Analytics", "Product management"),
]

# name, code, default team (None: unmatched defects go to the Unrouted queue),
# components, versions
PRODUCTS = [
    ("Billing", "bill", "Billing engineering", ["Invoices", "Payments", "Tax"],
     ["2.8.0", "2.9.0", "2.10.0"]),
    ("Customer Portal", "portal", "Platform", ["Login", "Dashboard", "Notifications"],
     ["5.0.0", "5.1.0", "5.1.1"]),
    ("Analytics", "analytics", None, ["Exports", "Scheduling"], ["1.4.0", "1.5.0-rc1"]),
]

# priority, product, component, keyword, team, active
ROUTING_RULES = [
    (10, "Billing", "Payments", "", "Platform", True),
    (20, "Billing", None, "pdf", "Documents & reporting", True),
    (30, "Analytics", "Exports", "", "Documents & reporting", True),
    (40, "Analytics", None, "schedule", "Documents & reporting", False),
]

# product, version, days from today to its planned date, shipped in the demo
# (shipping marks the fixed defects released and sends their tickets back to the help desk)
RELEASES = [
    ("Billing", "2.10.0", -3, True),
    ("Billing", "2.10.1", 14, False),
    ("Billing", "2.11.0", 60, False),
    ("Customer Portal", "5.1.1", -10, True),
    ("Customer Portal", "5.2.0", 21, False),
    ("Analytics", "1.5.0", 30, False),
]

# customer -> contacts (name, email, phone)
CUSTOMERS = {
    "Acme Corp": [("Carol Chen", "carol@acme.example", "+1 555 0101"),
                  ("Dan Diaz", "dan@acme.example", "")],
    "Globex": [("Grace Green", "grace@globex.example", "+44 20 7946 0102")],
    "Initech": [("Ivan Ito", "ivan@initech.example", ""),
                ("Irene Ives", "irene@initech.example", "+1 555 0103")],
    "Umbrella Health": [("Uma Usman", "uma@umbrella.example", "")],
    "Stark Logistics": [("Sia Stark", "sia@stark.example", "+49 30 555 0104"),
                        ("Otto Ortiz", "otto@stark.example", "")],
}

# The customer portal (/portal/): which customers use it, and whether each contact sees every
# ticket of the organisation or only the ones they raised. Customers not listed keep it off.
PORTAL = {
    "Acme Corp": "organisation",
    "Globex": "organisation",
    "Initech": "own",
    "Stark Logistics": "own",
}
# Contacts who sign in to the portal with the demo password (their address is their sign-in).
PORTAL_USERS = ["carol@acme.example", "irene@initech.example"]
# customer -> what it runs: (product, version, environment)
INSTALLATIONS = {
    "Acme Corp": [("Billing", "2.9.0", "Production"), ("Billing", "2.10.0", "Staging"),
                  ("Customer Portal", "5.1.1", "Production")],
    "Initech": [("Billing", "2.9.0", "Production"), ("Analytics", "1.4.0", "Production")],
}

# Each ticket: subject, customer, product, component, version, agent, description,
# and what happens next:
#   ("status", s)                      the help-desk status it ends in
#   ("escalate", {...})                a new defect (ticket_escalate's fields)
#   ("link", subject of another ticket) linked to that ticket's defect
#   ("request", {...})                 sent to product management (request_create_from_ticket's fields)
TICKETS = [
    ("Invoice PDF export times out", "Acme Corp", "Billing", "Invoices", "2.10.0", "agent",
     "Exporting our month-end invoice (620 lines) to PDF spins for a minute and fails.",
     ("escalate", {"title": "PDF export of invoices with 500+ lines times out",
                   "impact": "entire_customer", "urgency": "degraded",
                   "steps_to_reproduce": "1. Open an invoice with 600 lines\n2. Click Export > PDF",
                   "expected_result": "A PDF downloads within a few seconds.",
                   "actual_result": "Gateway timeout after 60 seconds.",
                   "environment": "Chrome 128, hosted"})),
    ("Invoice PDF never finishes downloading", "Globex", "Billing", "Invoices", "2.10.0", "agent2",
     "Large invoices cannot be exported to PDF since the upgrade.",
     ("link", "Invoice PDF export times out")),
    ("PDF export spinner forever", "Initech", "Billing", "Invoices", "2.9.0", "agent",
     "The export button shows a spinner and nothing happens for big invoices.",
     ("link", "Invoice PDF export times out")),
    ("Card payments declined with error 502", "Stark Logistics", "Billing", "Payments", "2.10.0",
     "agent", "Several of our finance users cannot take card payments since this morning.",
     ("escalate", {"title": "Card payments fail with 502 from the payment gateway",
                   "impact": "multiple_users", "urgency": "blocked",
                   "steps_to_reproduce": "1. Open an unpaid invoice\n2. Pay by card",
                   "expected_result": "The payment is accepted.",
                   "actual_result": "Error 502 Bad Gateway."})),
    ("VAT rounding off by one cent", "Umbrella Health", "Billing", "Tax", "2.9.0", "agent2",
     "Invoice totals differ by 0.01 from our own VAT calculation.",
     ("escalate", {"title": "VAT total rounds each line instead of the sum",
                   "impact": "single_user", "urgency": "workaround",
                   "expected_result": "VAT is rounded once, on the total."})),
    ("Credit notes show the wrong currency symbol", "Acme Corp", "Billing", "Invoices", "2.9.0",
     "agent", "Credit notes for our EUR account print a dollar sign.",
     ("escalate", {"title": "Credit notes ignore the account currency",
                   "impact": "entire_customer", "urgency": "workaround"})),
    ("How do I add a second billing contact?", "Globex", "Billing", None, None, "agent2",
     "We would like invoices to go to two people.", ("status", "new")),
    ("Does invoice numbering restart each year?", "Initech", "Billing", "Invoices", None, "agent",
     "Our auditor asks whether numbers restart on 1 January.", ("status", "open")),
    ("Payment reminder emails not received", "Umbrella Health", "Billing", "Payments", "2.10.0",
     "agent2", "Our customers say they get no reminders.", ("status", "awaiting_customer")),
    ("Cannot find the export button", "Stark Logistics", "Billing", "Invoices", None, "agent",
     "Where did the export button go after the upgrade?", ("status", "resolved")),
    ("Password reset for a finance user", "Acme Corp", "Billing", None, None, "agent2",
     "Please reset the password of our finance clerk.", ("status", "closed")),
    ("Login loops back to the sign-in page on Safari", "Acme Corp", "Customer Portal", "Login",
     "5.1.1", "agent", "Nobody at Acme who uses Safari can sign in.",
     ("escalate", {"title": "Safari sign-in loops back to the login page",
                   "impact": "entire_customer", "urgency": "blocked",
                   "steps_to_reproduce": "1. Open the portal in Safari 17\n2. Sign in",
                   "actual_result": "The login page shows again, no error.",
                   "environment": "macOS 14, Safari 17"})),
    ("Safari users cannot sign in", "Globex", "Customer Portal", "Login", "5.1.1", "agent2",
     "Our Mac users are stuck on the login page.",
     ("link", "Login loops back to the sign-in page on Safari")),
    ("Dashboard widgets load slowly", "Initech", "Customer Portal", "Dashboard", "5.1.0", "agent",
     "The dashboard takes 20 seconds to show the widgets.",
     ("escalate", {"title": "Dashboard widgets take 20 seconds to load",
                   "impact": "multiple_users", "urgency": "degraded"})),
    ("Notification emails arrive twice", "Stark Logistics", "Customer Portal", "Notifications",
     "5.1.1", "agent2", "Every notification email arrives twice.",
     ("escalate", {"title": "Notification emails are sent twice",
                   "impact": "single_user", "urgency": "workaround", "severity": "S3",
                   "severity_reason": "The customer's auditors flag the duplicates as a "
                                      "compliance finding."})),
    ("Request: dark mode", "Umbrella Health", "Customer Portal", "Dashboard", None, "agent",
     "Several users ask for a dark theme.",
     ("request", {"title": "Dark theme for the customer portal", "importance": "important",
                  "problem": "Users working night shifts find the bright portal tiring.",
                  "workaround": "A browser extension that inverts colours."})),
    ("Session expires too quickly", "Initech", "Customer Portal", "Login", "5.1.1", "agent2",
     "Users are signed out after five minutes.", ("status", "open")),
    ("Dashboard blank after upgrade", "Globex", "Customer Portal", "Dashboard", "5.1.1", "agent",
     "The dashboard is empty since the upgrade.", ("status", "awaiting_customer")),
    ("Single sign-on setup question", "Acme Corp", "Customer Portal", "Login", None, "agent2",
     "Which SAML attributes do you need?", ("status", "resolved")),
    ("Duplicate of the Safari ticket", "Stark Logistics", "Customer Portal", "Login", None, "agent",
     "Opened twice by mistake.", ("status", "closed")),
    ("Scheduled report did not run on Monday", "Acme Corp", "Analytics", "Scheduling", "1.4.0",
     "agent", "The weekly revenue report was not sent this Monday.",
     ("escalate", {"title": "Scheduled reports skip a run after the DST change",
                   "impact": "entire_customer", "urgency": "workaround"})),
    ("CSV export has the wrong date format", "Globex", "Analytics", "Exports", "1.4.0", "agent2",
     "Dates come out as MM/DD/YYYY although our locale is en-GB.",
     ("escalate", {"title": "CSV export ignores the user's date locale",
                   "impact": "multiple_users", "urgency": "workaround"})),
    ("Chart for quarterly revenue", "Initech", "Analytics", None, None, "agent",
     "Could we get a quarterly revenue chart?", ("status", "new")),
    ("Export misses the last row", "Umbrella Health", "Analytics", "Exports", "1.4.0", "agent2",
     "The exported file has one row fewer than the screen.", ("status", "open")),
    ("Report totals differ from Billing", "Stark Logistics", "Analytics", None, "1.4.0", "agent",
     "Revenue in Analytics is 2% lower than in Billing.", ("status", "awaiting_customer")),
    ("Thanks for the quick fix", "Globex", "Analytics", None, None, "agent",
     "Just saying thanks.", ("status", "closed")),
]

# What engineering has done with some defects since, by the subject of the
# ticket that raised them: the status moves in order, with the reason a move
# needs, and the planned or fixed-in release. The help desk resolves a ticket
# once the release with its fix has shipped.
DEFECT_PROGRESS = {
    "VAT rounding off by one cent": {"path": ["triage", "in_progress"], "planned": "2.10.1"},
    "Credit notes show the wrong currency symbol": {
        "path": ["triage", "in_progress", "in_verification", "fixed"], "fixed": "2.10.0",
    },
    "Login loops back to the sign-in page on Safari": {"path": ["triage"], "planned": "5.2.0"},
    "Dashboard widgets load slowly": {
        "path": ["triage", "needs_info"],
        "reason": "Which dashboard widgets are slow? A HAR file of the page loading would help.",
    },
    "CSV export has the wrong date format": {"path": ["triage", "in_progress"], "planned": "1.5.0"},
    "Invoice PDF export times out": {
        "path": ["triage", "in_progress", "in_verification"], "planned": "2.10.1",
    },
}

# How long ago some open tickets were last updated (days), so the ticket list shows one
# waiting past its customer's limit (three days for a standard customer) and one not yet.
LAST_UPDATED_DAYS_AGO = {
    "Does invoice numbering restart each year?": 4,
    "Export misses the last row": 2,
}

# Views of the work lists the manager shares with everyone: list, name, query.
SHARED_VIEWS = [
    ("tickets", "Waiting too long", "waiting=yes&sort=updated"),
    ("tickets", "Awaiting engineering", "status=awaiting_engineering&sort=-updated"),
    ("defects", "Most customers", "sort=-customers"),
    ("queue", "Needs information", "status=needs_info"),
]
