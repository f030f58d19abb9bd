"""squall.util: being written (skeleton issue)."""
