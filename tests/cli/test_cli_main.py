"""The `genesis` entry point: help, unknown commands, and a reader that closes the pipe early."""
import os
import subprocess
import sys

import pytest

from genesis.cli import main


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    for command in ("demo", "lr", "checkpoint"):
        assert command in out


def test_version_prints_the_package_version(capsys):
    import pathlib
    import tomllib

    import genesis

    project = tomllib.loads((pathlib.Path(__file__).parents[2] / "pyproject.toml").read_text())
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"genesis {project['project']['version']}\n"
    assert genesis.version.genesis_version == project["project"]["version"]
    assert genesis.__version__.endswith(f"+genesis.{project['project']['version']}")


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    assert "no-such-command" in capsys.readouterr().err


def test_closed_pipe_ends_quietly_without_a_traceback():
    # The reader closes its end before the command writes: every write raises EPIPE.
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.run(
        [sys.executable, "-m", "genesis", "lr", "cosine", "--warmup", "5", "--steps", "100"],
        stdout=write_end, stderr=subprocess.PIPE, text=True,
    )
    os.close(write_end)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 141
