"""The apps depend on each other in one direction (see core/hooks.py and docs/architecture.md).

Every module of every app is parsed, not imported: a module may import only the
apps below it, and no import hides inside a function to dodge a circle.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first: an app may import the apps before it in this list, never one after.
LAYERS = ["core", "defects", "sync", "tickets", "enhancements", "releases"]
RANK = {app: rank for rank, app in enumerate(LAYERS)}

# The pages, forms and API of defects (and the ticket API's release field) still
# read rows of the apps above: the products and releases a defect names, the
# tickets on the triage page. The services no longer do. The list may only
# shrink: a new upward import fails the test, and a fixed one must leave it.
KNOWN_UPWARD: set[tuple[str, str]] = {
    ("defects/api/filters.py", "tickets"),
    ("defects/api/serializers.py", "releases"),
    ("defects/api/serializers.py", "tickets"),
    ("defects/api/triage.py", "releases"),
    ("defects/api/views.py", "releases"),
    ("defects/api/views.py", "tickets"),
    ("defects/forms_triage.py", "releases"),
    ("defects/forms_triage.py", "tickets"),
    ("defects/views.py", "tickets"),
    ("defects/views_queue.py", "sync"),
    ("defects/views_triage.py", "tickets"),
    ("tickets/api/serializers.py", "releases"),
    # POST /api/tickets/{id}/escalate/ with kind=enhancement sends the ticket to
    # product management: the ticket API (presentation) calls the enhancements
    # services and answers with their serializer.
    ("tickets/api/views.py", "enhancements"),
    # The ticket page names the first releases whose tagged code holds its defect's fix
    # (releases.code): a page reading the app above, not a service.
    ("tickets/views/pages.py", "releases"),
}


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
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [node.module or ""] if node.level == 0 else []


def _may_import_in_function(path: Path, function: ast.FunctionDef) -> bool:
    # An AppConfig.ready() wires hooks and tasks once the models are loaded; a
    # management command loads what it needs when it runs.
    return ("management" in path.parts and "commands" in path.parts) or (
        path.name == "apps.py" and function.name == "ready"
    )


def _scan():
    upward, hidden = [], []
    for app, path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        where = path.relative_to(ROOT).as_posix()
        for node, function in _imports(tree):
            for target in _targets(node):
                top = target.split(".")[0]
                if top in RANK and RANK[top] > RANK[app] and (where, top) not in KNOWN_UPWARD:
                    upward.append(f"{where}:{node.lineno} imports {target} ({app} is below {top})")
            if function is not None and not _may_import_in_function(path, function):
                hidden.append(f"{where}:{node.lineno} in {function.name}(): {ast.unparse(node)}")
    return upward, hidden


def test_no_module_imports_an_app_above_its_own():
    upward, _ = _scan()
    assert not upward, "Use a hook (core/hooks.py) or move the code down:\n" + "\n".join(upward)


def test_no_import_hides_inside_a_function():
    _, hidden = _scan()
    assert not hidden, "Import at the top of the module; break the circle instead:\n" + "\n".join(hidden)


@pytest.mark.parametrize("edge", sorted(KNOWN_UPWARD))
def test_each_known_upward_import_still_exists(edge):
    # Once an edge is gone, it leaves the list, so it cannot come back unnoticed.
    path, top = edge
    tree = ast.parse((ROOT / path).read_text())
    assert any(t.split(".")[0] == top for node, _ in _imports(tree) for t in _targets(node)), edge


def test_the_scan_sees_what_it_must_refuse(tmp_path):
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from releases.models import Release\n"
        "from tickets.models import Ticket\n"
        "def f():\n    from sync.outbox import outbox_enqueue\n"
    )
    found = [(n.lineno, f.name if f else None) for n, f in _imports(ast.parse(source))]
    assert found == [(1, None), (4, None), (6, "f")]
