"""core.hooks: explicit receivers, called at once in the caller's transaction."""

import pytest

from core.hooks import Hook
from defects import hooks as defect_hooks


def _contract(*, defect: str, channel: str) -> None:
    """A test hook's keyword arguments."""


def test_receivers_run_at_once_in_the_order_they_were_connected_and_only_once_each():
    hook = Hook(_contract)
    calls = []

    def first(*, defect, channel):
        calls.append(("first", defect, channel))

    def second(*, defect, channel):
        calls.append(("second", defect, channel))

    hook.connect(first)
    hook.connect(second)
    hook.connect(first)
    hook.send(defect="HD-1", channel="web")

    assert calls == [("first", "HD-1", "web"), ("second", "HD-1", "web")]
    assert hook.name.endswith("test_hooks._contract")


def test_a_receivers_failure_reaches_the_caller_so_its_transaction_rolls_back():
    hook = Hook(_contract)

    def broken(*, defect, channel):
        raise RuntimeError("outbox unavailable")

    hook.connect(broken)
    with pytest.raises(RuntimeError):
        hook.send(defect="HD-1", channel="web")


def test_check_names_a_receiver_that_does_not_fit_the_contract():
    hook = Hook(_contract)

    def wrong(*, defect, actor):
        pass

    hook.connect(wrong)
    with pytest.raises(TypeError, match="does not fit hook"):
        hook.check()


@pytest.mark.parametrize("hook", defect_hooks.ALL, ids=lambda h: h.name)
def test_every_defect_hook_has_its_receivers_connected_and_they_fit(hook):
    assert hook.receivers, f"{hook.name} has no receiver: an app's ready() did not connect it"
    hook.check()
