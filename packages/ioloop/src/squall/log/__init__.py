"""squall.log: being written (skeleton issue)."""
