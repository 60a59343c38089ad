"""Saves are atomic and durable: killed at any moment, ``path`` holds one complete version."""
import os
import random
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

from genesis import load_checkpoint, save_checkpoint

ELEMENTS = 1_500_000  # 6 MB of float32 per array, so a save takes a while to kill inside


def version(k):
    return {"version": k, "w": np.full(ELEMENTS, k, np.float32),
            "tail": {"b": np.arange(1000, dtype=np.int64) + k, "note": "x" * (100 * k)}}


def holds_one_complete_version(tree):
    k = tree["version"]
    expected = version(k)
    return (np.array_equal(tree["w"], expected["w"]) and np.array_equal(tree["tail"]["b"], expected["tail"]["b"])
            and tree["tail"]["note"] == expected["tail"]["note"])


def temp_files(directory):
    return [name for name in os.listdir(directory) if ".tmp-" in name]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork to kill a saving child cheaply")
def test_sigkill_during_saves_leaves_a_complete_version_and_no_stray_files(tmp_path):
    path = tmp_path / "checkpoint.pth"
    save_checkpoint(version(0), path)
    rng = random.Random(0)
    interrupted = 0
    for kill in range(20):
        ready, started = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: save alternating versions until killed
            try:
                k = 1
                while True:
                    save_checkpoint(version(k), path)
                    os.write(started, b"s")  # from now on it is (almost) always inside a save
                    k = 3 - k
            finally:
                os._exit(1)
        os.read(ready, 1)
        time.sleep(rng.uniform(0.0, 0.04))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(ready)
        os.close(started)
        loaded = load_checkpoint(path, mmap=kill % 2 == 1)
        assert loaded["version"] in (0, 1, 2, 3) and holds_one_complete_version(loaded), kill
        interrupted += bool(temp_files(tmp_path))
        if kill % 4 == 3:  # the next successful save clears what the killed ones left
            save_checkpoint(version(3), path)
            assert temp_files(tmp_path) == []
    save_checkpoint(version(3), path)
    assert os.listdir(tmp_path) == ["checkpoint.pth"]
    # the test has teeth only if some kills landed inside a save
    assert interrupted >= 3, interrupted


def test_a_failing_save_removes_its_temp_file_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pth"
    save_checkpoint({"version": 1}, path)

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        save_checkpoint({"version": 2, "w": np.ones(10)}, path)
    monkeypatch.undo()
    assert load_checkpoint(path) == {"version": 1}
    assert os.listdir(tmp_path) == ["checkpoint.pth"]


def test_a_filesystem_that_cannot_fsync_still_saves(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pth"

    def unsupported_fsync(fd):
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os, "fsync", unsupported_fsync)
    save_checkpoint({"w": np.arange(3)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(load_checkpoint(path)["w"], np.arange(3))


def test_an_interrupted_save_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pth"
    real_replace = os.replace

    def interrupted_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"w": np.ones(3)}, path)
    monkeypatch.setattr(os, "replace", real_replace)
    assert os.listdir(tmp_path) == []


def test_file_is_fsynced_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pth"
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src, dst):
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save_checkpoint({"w": np.ones(3)}, path)
    assert events == ["fsync file", "replace", "fsync dir"]


def test_stale_temp_files_of_dead_savers_are_removed_and_live_ones_kept(tmp_path):
    path = tmp_path / "checkpoint.pth"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid names no process now
    dead = tmp_path / f".checkpoint.pth.tmp-{child.pid}-0123abcd"
    live = tmp_path / f".checkpoint.pth.tmp-{os.getppid()}-89abcdef"
    other = tmp_path / f".other.pth.tmp-{child.pid}-0123abcd"
    for stray in (dead, live, other):
        stray.write_bytes(b"partial")
    save_checkpoint({"x": 1}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["checkpoint.pth", live.name, other.name])


def test_permissions_of_an_existing_file_are_kept(tmp_path):
    path = tmp_path / "checkpoint.pth"
    save_checkpoint({"x": 1}, path)
    os.chmod(path, 0o600)
    save_checkpoint({"x": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and load_checkpoint(path) == {"x": 2}


def test_saving_through_a_symlink_replaces_its_target(tmp_path):
    target = tmp_path / "real.pth"
    link = tmp_path / "latest.pth"
    save_checkpoint({"x": 1}, target)
    link.symlink_to(target)
    save_checkpoint({"x": 2}, link)
    assert link.is_symlink() and load_checkpoint(target) == {"x": 2}
