"""squall.iostream: being written (skeleton issue)."""
