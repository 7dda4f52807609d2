"""The apps depend on each other in one direction (see core/hooks.py and docs/architecture.md).

Every module of every app is parsed, not imported. Each module is in one of two layers:

- the presentation layer (views, forms, the API, template tags, admin, URLs,
  serializers: what turns requests into calls and rows into pages) may read the
  models, selectors and serializers of any app, since a page of a lower app may
  show rows of a higher one, but calls only its own app's services and those below;
- the domain layer (models, services, selectors, hooks, tasks, connectors, the
  outbox: everything that holds rules or reads) imports only its own app and the
  apps below it, and no presentation module of any app.

And no import hides inside a function to dodge a circle.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first: an app's domain may import the apps before it in this list, never one after.
LAYERS = ["core", "defects", "sync", "tickets", "enhancements", "releases", "portal"]
RANK = {app: rank for rank, app in enumerate(LAYERS)}

# A module is presentation when a folder or its own name says so (`defects/api/views.py`,
# `tickets/views/pages.py`, `defects/forms_triage.py`, `sync/link_views.py`).
# An app's `apps.py` counts as presentation too: its AppConfig.ready() wires the
# app's receivers and registrations (hooks, escalation kinds) into lower apps.
PRESENTATION_NAMES = {"admin", "urls", "api", "views", "forms", "serializers", "templatetags", "apps"}
# What a presentation module may read from an app above its own.
READABLE_ABOVE = {"models", "selectors", "serializers"}


def _is_presentation(parts: list[str]) -> bool:
    """Whether a module, named by its dotted parts after the app's, is presentation."""
    return any(
        part in PRESENTATION_NAMES or part.split("_")[0] in PRESENTATION_NAMES or part.endswith("_views")
        for part in parts
    )


def _modules():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield app, path


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """(import node, enclosing function or None), skipping `if TYPE_CHECKING:` blocks."""

    def walk(node, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for orelse in child.orelse:
                    yield from walk(ast.Module(body=[orelse], type_ignores=[]), function)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, function
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            yield from walk(child, inner)

    yield from walk(tree, None)


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    """What an import names, down to the imported name (`from tickets import views` -> tickets.views)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level or not node.module:
        return []
    return [f"{node.module}.{alias.name}" for alias in node.names]


def _may_import_in_function(path: Path, function: ast.FunctionDef) -> bool:
    # An AppConfig.ready() wires hooks and tasks once the models are loaded; a
    # management command loads what it needs when it runs.
    return ("management" in path.parts and "commands" in path.parts) or (
        path.name == "apps.py" and function.name == "ready"
    )


def _refusal(app: str, module: list[str], target: str) -> str | None:
    """Why `module` (dotted parts after `app`) may not import `target`, or None when it may."""
    top, *rest = target.split(".")
    if top not in RANK:
        return None
    # The imported name's own part (a class or function) is not a module.
    presentation_target = _is_presentation(rest[:-1] if target.count(".") > 1 else rest)
    if not _is_presentation(module):
        if RANK[top] > RANK[app]:
            return f"the domain of {app} is below {top}"
        if presentation_target:
            return "the domain imports a presentation module"
        return None
    if RANK[top] > RANK[app] and not READABLE_ABOVE.intersection(rest[:-1] or rest):
        return f"{app}'s pages may only read the models, selectors and serializers of {top}"
    return None


def _scan():
    upward, hidden = [], []
    for app, path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        where = path.relative_to(ROOT).as_posix()
        module = list(path.relative_to(ROOT / app).with_suffix("").parts)
        for node, function in _imports(tree):
            for target in _targets(node):
                reason = _refusal(app, module, target)
                if reason:
                    upward.append(f"{where}:{node.lineno} imports {target} ({reason})")
            if function is not None and not _may_import_in_function(path, function):
                hidden.append(f"{where}:{node.lineno} in {function.name}(): {ast.unparse(node)}")
    return upward, hidden


def test_dependencies_run_one_way():
    upward, _ = _scan()
    assert not upward, "Use a hook (core/hooks.py) or move the code down:\n" + "\n".join(upward)


def test_no_import_hides_inside_a_function():
    _, hidden = _scan()
    assert not hidden, "Import at the top of the module; break the circle instead:\n" + "\n".join(hidden)


def test_the_scan_sees_what_it_must_refuse(tmp_path):
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from releases.models import Release\n"
        "from tickets.models import Ticket\n"
        "def f():\n    from sync.outbox import outbox_enqueue\n"
    )
    found = [(n.lineno, f.name if f else None) for n, f in _imports(ast.parse(source))]
    assert found == [(1, None), (4, None), (6, "f")]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("defects/views_queue", True), ("defects/forms_triage", True), ("defects/api/triage", True),
        ("sync/link_views", True), ("sync/api_link", True), ("tickets/views/pages", True),
        ("defects/templatetags/triage_tags", True), ("releases/code/serializers", True), ("tickets/admin", True),
        ("defects/services/changes", False), ("sync/connectors/jira", False), ("sync/outbox", False),
        ("tickets/selectors", False), ("releases/services/report/rows", False), ("tickets/dashboard", False),
    ],
)
def test_the_scan_tells_presentation_from_domain(module, layer):
    assert _is_presentation(module.split("/")[1:]) is layer


@pytest.mark.parametrize(
    ("app", "module", "target", "refused"),
    [
        # A lower app's page may read rows of a higher app...
        ("defects", "views", "tickets.selectors.visible_tickets", False),
        ("defects", "api/serializers", "releases.api.serializers.ReleaseBriefSerializer", False),
        ("defects", "forms_triage", "releases.models.Release", False),
        # ...but not call its services or its pages.
        ("defects", "views_triage", "tickets.services.tickets.ticket_set_status", True),
        ("defects", "urls", "tickets.views", True),
        # The domain never looks up, nor at any presentation module.
        ("defects", "services/changes", "tickets.models.Ticket", True),
        ("releases", "services/outreach", "tickets.forms.apply_service_errors", True),
        ("tickets", "selectors", "tickets.api.serializers.TicketSerializer", True),
        ("tickets", "services/escalation", "defects.services.changes.defect_update", False),
        ("tickets", "selectors", "defects.models", False),
    ],
)
def test_the_scan_applies_the_rule(app, module, target, refused):
    assert (_refusal(app, module.split("/"), target) is not None) is refused
