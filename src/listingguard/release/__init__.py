"""Releasing bundles: moving aliases with the evidence each step requires (the release gate's front door)."""
