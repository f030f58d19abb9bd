"""squall.gen: being written (skeleton issue)."""
