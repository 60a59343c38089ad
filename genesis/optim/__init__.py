"""Optimizers and learning-rate schedulers (``genesis.optim``)."""

# --- optimizers ---

# --- learning-rate schedulers (PyTorch family) ---

# --- Hugging Face schedule family ---
