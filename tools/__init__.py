"""Workspace tooling for the squall monorepo (not shipped in any distribution)."""
