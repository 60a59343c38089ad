"""Checkpoints: ``save_checkpoint`` / ``load_checkpoint`` (and PyTorch's ``genesis.save`` / ``genesis.load``).

A checkpoint is a ``.safetensors`` file whose metadata holds the saved tree as JSON, a format
version and a checksum: nothing is ever pickled, saves are atomic and durable, loads are
verified.  ``tree`` maps Python trees to JSON + arrays, ``objects`` stores whole objects
(``nn`` modules) as data and rebuilds only allowed classes, ``fileformat`` is the bytes on disk,
``api`` the public functions, ``genesis.serialization`` PyTorch's ``save``/``load`` signatures on
top of them, and ``genesis checkpoint inspect|convert`` the command line.

Resuming exactly
----------------
Training resumes bit for bit when the checkpoint holds everything that decides what comes
next: the weights, the optimizer's moments and step counts, the scheduler's position, and the
random state, which fixes both the dropout masks and the order a shuffling ``DataLoader``
draws for the following epochs (it draws from the global generator at the start of each
epoch, so save at an epoch boundary)::

    checkpoint = {
        "epoch": epoch,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "scheduler_state_dict": scheduler.state_dict(),
        "loss": loss,
        "rng_state": genesis.get_rng_state(),
    }
    genesis.save_checkpoint(checkpoint, "checkpoint.pth")

    # later, in a fresh process, after building model, optimizer and scheduler the same way
    checkpoint = genesis.load_checkpoint("checkpoint.pth")
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
    genesis.set_rng_state(checkpoint["rng_state"])
    start_epoch = checkpoint["epoch"] + 1

A ``DataLoader`` given its own ``generator=`` needs that generator's ``get_state()`` saved and
``set_state()`` restored the same way.  ``tests/test_resume_exact.py`` runs this recipe.
"""
from .api import CheckpointError, UnsupportedGlobalError, load_checkpoint, save_checkpoint

__all__ = ["CheckpointError", "UnsupportedGlobalError", "load_checkpoint", "save_checkpoint"]
