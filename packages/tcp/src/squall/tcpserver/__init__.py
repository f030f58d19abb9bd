"""squall.tcpserver: being written (skeleton issue)."""
