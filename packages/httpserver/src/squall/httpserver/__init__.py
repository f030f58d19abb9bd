"""squall.httpserver: being written (skeleton issue)."""
