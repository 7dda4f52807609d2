"""Code traceability: a product's git repositories, their commits, tags and builds.

A commit that names a defect links to it; a fixing commit (or a backport of it)
reached from a release's tag puts the fix in that release. See
docs/code-traceability.md.
"""
