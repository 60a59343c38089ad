"""Utilities (``genesis.utils.data``)."""
