"""squall.concurrent: being written (skeleton issue)."""
