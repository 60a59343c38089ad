"""Loading a checkpoint larger than the huge-page threshold (its buffer is an anonymous mapping
on Linux): same values, writable tensors that outlive their siblings, file left untouched."""
import gc

import numpy as np

import genesis
from genesis.checkpoint import api


def test_large_checkpoint_round_trip_and_in_place_updates(tmp_path):
    rng = np.random.default_rng(3)
    big = rng.standard_normal(api._HUGE_PAGE_MIN_BYTES // 4 + 1000).astype(np.float32)
    small = np.arange(5, dtype=np.int64)
    path = tmp_path / "large.safetensors"
    genesis.save_checkpoint({"big": genesis.from_numpy(big), "small": small}, path)

    loaded = genesis.load_checkpoint(path)
    np.testing.assert_array_equal(loaded["big"].numpy(), big)
    kept = loaded["small"]
    del loaded
    gc.collect()
    np.testing.assert_array_equal(kept, small)  # a view of the buffer keeps it alive

    again = genesis.load_checkpoint(path)
    again["big"].data *= 2  # loaded tensors are writable, and the file does not change
    np.testing.assert_array_equal(genesis.load_checkpoint(path)["big"].numpy(), big)
