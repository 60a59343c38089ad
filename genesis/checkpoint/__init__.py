"""Checkpoints: ``save_checkpoint`` / ``load_checkpoint`` (aliases ``save`` / ``load``).

A checkpoint is a ``.safetensors`` file whose metadata holds the saved tree as JSON, a format
version and a SHA-256 checksum: nothing is ever pickled, saves are atomic and durable, loads are
verified.  ``tree`` maps Python trees to JSON + arrays, ``fileformat`` is the bytes on disk,
``api`` the public functions.
"""
from .api import CheckpointError, load, load_checkpoint, save, save_checkpoint

__all__ = ["CheckpointError", "load", "load_checkpoint", "save", "save_checkpoint"]
