"""Widgets of ctx browse."""
