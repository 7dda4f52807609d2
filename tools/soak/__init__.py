"""The sync soak (`make soak-sync`): random edits on both sides of many linked pairs, then proof
that every pair converged with nothing duplicated, lost or bounced back and forth.

See docs/tracker-sync.md#soak.
"""
