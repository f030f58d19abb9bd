"""squall.httputil: being written (skeleton issue)."""
