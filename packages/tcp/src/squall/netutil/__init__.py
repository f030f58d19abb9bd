"""squall.netutil: being written (skeleton issue)."""
