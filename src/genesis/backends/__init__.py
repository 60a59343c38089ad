"""``genesis.backends``: the backend flags scripts set and read (``cudnn.benchmark``,
``cuda.matmul.allow_tf32``, ``mps.is_available()``), with PyTorch's names, defaults and
checks. Genesis computes with NumPy on the CPU: the flags are recorded and change no result."""
from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
