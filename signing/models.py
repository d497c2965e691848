"""Signing identities and PAdES signing (later issue)."""
