"""Helpers for tests that need credentials: run-time generators, so no realistic secret is ever committed."""
