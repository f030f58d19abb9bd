"""squall.web: being written (skeleton issue)."""
