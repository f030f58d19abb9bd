"""squall.escape: being written (skeleton issue)."""
