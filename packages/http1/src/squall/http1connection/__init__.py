"""squall.http1connection: being written (skeleton issue)."""
