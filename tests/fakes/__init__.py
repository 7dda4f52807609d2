"""Local servers that answer like real trackers, for tests over real HTTP."""
