"""What a new user meets on the command line beyond the documented sessions: odd file names."""
import pathlib

from genesis.cli import main


def run(capsys, *argv):
    """(exit status, stdout, stderr) of ``genesis ARGV`` run in this process."""
    try:
        status = main([*map(str, argv)])
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def test_png_with_a_suffix_matplotlib_cannot_write_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "plot.txt"
    status, out, err = run(capsys, "lr", "StepLR", "--step_size", 3, "--steps", 10, "--png", target)
    assert status == 2
    assert out == ""  # refused before any work, not a traceback after the report
    assert f"--png {target}: matplotlib cannot write .txt files; use a name ending in .png" in err
    assert not target.exists()


def test_png_without_a_suffix_reports_the_file_it_wrote(tmp_path, capsys):
    target = tmp_path / "plot"
    status, out, _ = run(capsys, "lr", "StepLR", "--step_size", 3, "--steps", 10, "--png", target)
    assert status == 0
    written = pathlib.Path(f"{target}.png")
    assert out.splitlines()[-1] == f"wrote {written}"
    assert written.read_bytes().startswith(b"\x89PNG")


def test_png_suffix_is_case_insensitive(tmp_path, capsys):
    target = tmp_path / "plot.PNG"
    status, out, _ = run(capsys, "lr", "StepLR", "--step_size", 3, "--steps", 10, "--png", target)
    assert status == 0 and out.splitlines()[-1] == f"wrote {target}"
    assert target.read_bytes().startswith(b"\x89PNG")


def test_convert_a_pickled_module_says_to_save_the_state_dict(tmp_path, capsys):
    import torch

    source = tmp_path / "whole_model.pt"
    torch.save(torch.nn.Linear(3, 2), source)
    status, out, err = run(capsys, "checkpoint", "convert", source, tmp_path / "out.pth")
    assert status == 1 and out == ""
    assert err == (f"error: cannot convert '{source}': it pickles a torch.nn.modules.linear.Linear "
                   "object, which torch.load(weights_only=True) refuses because reading it would "
                   "run code from the file; in PyTorch, save the state dict instead "
                   "(torch.save(model.state_dict(), PATH): tensors, numbers, strings, lists and "
                   "dicts) and convert that file\n")
    assert "weights_only=False" not in err and "\x1b[" not in err  # no advice to unpickle


def test_convert_a_file_that_is_no_torch_save_is_one_line(tmp_path, capsys):
    source = tmp_path / "notes.txt"
    source.write_text("hello\n")
    status, _, err = run(capsys, "checkpoint", "convert", source, tmp_path / "out.pth")
    assert status == 1
    assert err.startswith(f"error: cannot convert '{source}': torch.load(weights_only=True) cannot "
                          "read it; is it a file written by torch.save? (")
    assert err.count("\n") == 1 and not (tmp_path / "out.pth").exists()


def test_list_shows_onecycle_max_lr_defaults_to_lr(capsys):
    status, out, _ = run(capsys, "lr", "--list")
    assert status == 0
    (line,) = [line for line in out.splitlines() if line.startswith("  OneCycleLR:")]
    assert line.startswith("  OneCycleLR: --max_lr (default --lr), --total_steps=None")
    # and it really is optional: the peak is the --lr rate
    status, out, _ = run(capsys, "lr", "OneCycleLR", "--total_steps", 100, "--lr", 0.5)
    assert status == 0
    (peak,) = [line.split()[-1] for line in out.splitlines() if line.startswith("  max ")]
    assert float(peak) == 0.5


def test_png_title_of_a_sequential_schedule_keeps_its_milestones(tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    titles = []
    save = Figure.savefig

    def recording_savefig(self, *args, **kwargs):
        titles.append(self.axes[0].get_title())
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording_savefig)
    children = "[LinearLR(start_factor=0.01, total_iters=100), CosineAnnealingLR(T_max=900)]"
    status, _, _ = run(capsys, "lr", "SequentialLR", "--schedulers", children, "--milestones", "[100]",
                       "--steps", 1000, "--png", tmp_path / "seq.png")
    assert status == 0
    assert titles[0].replace("\n", " ") == f"SequentialLR(schedulers={children}, milestones=[100])"


def test_lr_warmup_fraction_says_it_takes_steps(capsys):
    """genesis demo --warmup 0.1 means 10%; genesis lr --warmup counts steps and says so."""
    status, out, err = run(capsys, "lr", "cosine", "--warmup", "0.1", "--steps", 1000)
    assert status == 2 and out == ""
    assert err.splitlines()[-1] == ("genesis lr: error: argument --warmup: expected a number of steps "
                                    "(an int >= 0), got '0.1'; for 10% of --steps 1000 give --warmup 100")
