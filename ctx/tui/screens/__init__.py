"""Screens of ctx browse."""
