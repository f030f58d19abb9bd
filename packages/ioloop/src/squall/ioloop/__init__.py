"""squall.ioloop: being written (skeleton issue)."""
