"""Scope: what each credential can do, inferred offline from the token and its context."""
