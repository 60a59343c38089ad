"""`genesis lr`: printed rates against hand formulas, CSV against stepping (Genesis and PyTorch),
PNG files, argument errors with exit status 2, and the sparkline."""
import doctest
import math
import pathlib
import re
import shlex
import subprocess
import sys

import numpy as np
import pytest
import torch

import genesis.cli.lr as lr_cli
import genesis.utils.sparkline as sparkline_module
from genesis.cli import main
from genesis.optim import SGD, lr_scheduler
from genesis.utils.sparkline import BLOCKS, sparkline

REPO = pathlib.Path(__file__).resolve().parents[2]
PYTORCH_SCHEDULERS = [
    "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
    "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
    "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR",
]
ROW = re.compile(r"^  (start|end of warmup|middle|end|min|max)\s+(\d+)\s+(\S+)$")


def run_lr(capsys, *argv):
    """(exit status, stdout, stderr) of ``genesis lr ARGV`` run in this process."""
    try:
        status = main(["lr", *map(str, argv)])
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def key_rates(out):
    """{label: (step, rate)} from the printed table of a one-group run."""
    rows = {}
    for line in out.splitlines():
        match = ROW.match(line)
        if match:
            rows[match[1]] = (int(match[2]), float(match[3]))
    return rows


def read_csv(path):
    lines = pathlib.Path(path).read_text().splitlines()
    table = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    return lines[0], table


def torch_rates(make_scheduler, steps, lrs=(0.1,)):
    """Rates torch's scheduler gives optimizer steps 0..steps-1 (read before each step)."""
    params = [torch.zeros(1, requires_grad=True) for _ in lrs]
    optimizer = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)],
                                lr=lrs[0], momentum=0.9)
    scheduler = make_scheduler(optimizer)
    rows = []
    for _ in range(steps):
        rows.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return np.array(rows)


# --- printed key rates against hand formulas ----------------------------------------------------------


def test_cosine_with_warmup_key_rates_are_the_closed_form(capsys):
    base, warmup, total = 0.1, 500, 10_000
    status, out, err = run_lr(capsys, "cosine", "--warmup", warmup, "--steps", total)
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == (
        "cosine = get_cosine_schedule_with_warmup(num_warmup_steps=500, num_training_steps=10000)")

    def hand(step):  # transformers' formula, written out
        if step < warmup:
            return base * step / warmup
        return base * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))

    rows = key_rates(out)
    assert rows["start"] == (0, 0.0)
    assert rows["end of warmup"] == (warmup, base)  # the full base rate, exactly
    for label, step in (("middle", total // 2), ("end", total - 1)):
        assert rows[label][0] == step
        assert rows[label][1] == pytest.approx(hand(step), rel=1e-5)
    assert rows["min"] == (0, 0.0)
    assert rows["max"] == (warmup, base)
    assert "10000 steps: the rates optimizer steps 0..9999 use" in out


def test_one_cycle_peaks_at_pct_start_times_total_minus_one(capsys):
    max_lr, total = 0.1, 1000
    status, out, _ = run_lr(capsys, "OneCycleLR", "--max_lr", max_lr, "--total_steps", total)
    assert status == 0
    rows = key_rates(out)
    peak = round(0.3 * total) - 1  # PyTorch: the first phase ends at float(pct_start * total) - 1
    assert rows["max"] == (peak, max_lr)
    assert rows["end of warmup"] == (peak, max_lr)
    assert rows["start"] == (0, pytest.approx(max_lr / 25))  # div_factor
    assert rows["end"] == (total - 1, pytest.approx(max_lr / 25 / 1e4))  # final_div_factor
    assert rows["min"][0] == total - 1
    # --steps defaults to total_steps, --max_lr to --lr
    _, out_defaulted, _ = run_lr(capsys, "onecyclelr", "--lr", max_lr, "--steps", total)
    assert key_rates(out_defaulted) == rows


def test_linear_with_warmup_matches_hand_values_and_step_zero_is_the_constructed_rate(capsys, tmp_path):
    csv = tmp_path / "linear.csv"
    status, out, _ = run_lr(capsys, "linear", "--warmup", 2, "--steps", 6, "--csv", csv)
    assert status == 0
    header, table = read_csv(csv)
    assert header == "step,lr"
    assert table[:, 0].tolist() == [0, 1, 2, 3, 4, 5]
    assert table[:, 1] == pytest.approx([0.0, 0.05, 0.1, 0.075, 0.05, 0.025], rel=1e-12)
    assert key_rates(out)["end of warmup"] == (2, 0.1)


def test_warmup_stable_decay_length_from_its_phases(capsys):
    status, out, _ = run_lr(capsys, "warmup_stable_decay", "--warmup", 2, "--num_stable_steps", 2,
                            "--num_decay_steps", 2, "--decay_type", "linear", "--min_lr_ratio", 0.1)
    assert status == 0
    rows = key_rates(out)  # hand: 0.01, 0.055, 0.1, 0.1, 0.1, 0.055 over steps 0..5
    assert rows["start"] == (0, pytest.approx(0.01))
    assert rows["end of warmup"] == (2, pytest.approx(0.1))
    assert rows["end"] == (5, pytest.approx(0.055))


# --- CSV against stepping the real scheduler ---------------------------------------------------------


def test_csv_equals_stepping_genesis_and_torch_multistep(capsys, tmp_path):
    csv = tmp_path / "multistep.csv"
    status, _, _ = run_lr(capsys, "MultiStepLR", "--milestones", "[30,80]", "--gamma", 0.1,
                          "--steps", 100, "--csv", csv)
    assert status == 0
    _, table = read_csv(csv)
    expected = torch_rates(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [30, 80], 0.1), 100)
    np.testing.assert_allclose(table[:, 1:], expected, rtol=1e-12, atol=0)

    optimizer = SGD([genesis_param()], lr=0.1)
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)
    stepped = []
    for _ in range(100):
        stepped.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    # The closed form is NumPy-vectorised, stepping is scalar Python: equal within the exactness
    # contract (rel 1e-12), not bit for bit (SIMD power rounds differently on some CPUs).
    np.testing.assert_allclose(table[:, 1], stepped, rtol=1e-12, atol=0)


def genesis_param():
    import genesis

    return genesis.zeros(1, requires_grad=True)


def test_csv_of_one_cycle_and_two_groups_equal_torch(capsys, tmp_path):
    csv = tmp_path / "one_cycle.csv"
    status, _, _ = run_lr(capsys, "OneCycleLR", "--max_lr", "[0.1,0.05]", "--total_steps", 50,
                          "--anneal_strategy", "linear", "--three_phase", "--lr", "0.1,0.05", "--csv", csv)
    assert status == 0
    header, table = read_csv(csv)
    assert header == "step,lr_group0,lr_group1"
    expected = torch_rates(lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=[0.1, 0.05], total_steps=50, anneal_strategy="linear", three_phase=True), 50, (0.1, 0.05))
    np.testing.assert_allclose(table[:, 1:], expected, rtol=1e-12, atol=1e-18)


def test_sequential_composition_from_the_command_line_equals_torch(capsys, tmp_path):
    csv = tmp_path / "sequential.csv"
    status, out, _ = run_lr(
        capsys, "SequentialLR", "--schedulers",
        "[LinearLR(start_factor=0.01, total_iters=10), CosineAnnealingLR(T_max=90, eta_min=1e-4)]",
        "--milestones", "[10]", "--steps", 100, "--csv", csv)
    assert status == 0
    assert out.splitlines()[0] == ("SequentialLR(schedulers=[LinearLR(start_factor=0.01, total_iters=10), "
                                   "CosineAnnealingLR(T_max=90, eta_min=0.0001)], milestones=[10])")
    _, table = read_csv(csv)
    T = torch.optim.lr_scheduler
    expected = torch_rates(lambda o: T.SequentialLR(
        o, [T.LinearLR(o, start_factor=0.01, total_iters=10), T.CosineAnnealingLR(o, T_max=90, eta_min=1e-4)],
        milestones=[10]), 100)
    np.testing.assert_allclose(table[:, 1:], expected, rtol=1e-12, atol=0)


def test_chained_from_the_command_line_equals_torch(capsys, tmp_path):
    csv = tmp_path / "chained.csv"
    status, _, _ = run_lr(capsys, "ChainedScheduler", "--schedulers",
                          "[ConstantLR(factor=0.5, total_iters=10), ExponentialLR(gamma=0.9)]",
                          "--steps", 30, "--csv", csv)
    assert status == 0
    T = torch.optim.lr_scheduler
    expected = torch_rates(lambda o: T.ChainedScheduler(
        [T.ConstantLR(o, factor=0.5, total_iters=10), T.ExponentialLR(o, gamma=0.9)]), 30)
    np.testing.assert_allclose(read_csv(csv)[1][:, 1:], expected, rtol=1e-12, atol=0)


# --- PNG ---------------------------------------------------------------------------------------------


def test_png_is_a_plot_of_the_curve(capsys, tmp_path):
    import matplotlib.image

    png = tmp_path / "cosine.png"
    status, out, _ = run_lr(capsys, "cosine", "--warmup", 10, "--steps", 100, "--png", png)
    assert status == 0 and f"wrote {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(png)
    assert pixels.shape[:2] == (540, 960)
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 10  # not a blank image


def test_png_without_matplotlib_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    status, out, err = run_lr(capsys, "cosine", "--steps", 10, "--png", tmp_path / "x.png")
    assert status == 1 and out == ""
    assert "--png needs matplotlib" in err and 'pip install -e ".[plot]"' in err
    assert not (tmp_path / "x.png").exists()


def test_unwritable_csv_exits_1(capsys, tmp_path):
    status, _, err = run_lr(capsys, "cosine", "--steps", 10, "--csv", tmp_path / "no" / "dir.csv")
    assert status == 1 and "cannot write" in err and "dir.csv" in err


# --- argument errors: exit 2, a message naming the argument -------------------------------------------


@pytest.mark.parametrize("argv, expected", [
    (["OneCycleLR", "--max_l", "0.1", "--total_steps", "100"],
     ["no argument --max_l", "did you mean --max_lr?", "--max_lr (default --lr)", "--pct_start=0.3"]),
    (["CosineAnnealingLR", "--steps", "100"], ["CosineAnnealingLR needs --T_max (required)", "--eta_min=0.0"]),
    (["cosine", "--warmup", "5", "--steps", "10", "--num_cycle", "2"],
     ["cosine has no argument --num_cycle", "--num_cycles=0.5"]),
    (["warmup_stable_decay", "--steps", "100"], ["needs --num_decay_steps"]),
    (["StepLR", "--step_size", "2.5", "--steps", "10"], ["step_size must be a positive int, got 2.5"]),
    (["OneCycleLR", "--max_lr", "fast", "--steps", "10"], ["--max_lr expects float", "'fast'"]),
    (["OneCycleLR", "--total_steps", "5", "--steps", "10"], ["total_steps=5"]),
    (["StepLR", "--step_size", "3"], ["--steps N is required for StepLR"]),
    (["cosine", "--steps", "0"], ["argument --steps", "'0'"]),
    (["--steps", "many", "cosine"], ["argument --steps", "'many'"]),
    (["cosine", "--steps", "10", "--lr", "-1"], ["argument --lr", "'-1'"]),
    (["constant", "--warmup", "5", "--steps", "10"], ["constant has no warmup", "constant_with_warmup"]),
    (["StepLR", "--optimizer", "x", "--step_size", "2", "--steps", "5"], ["--optimizer cannot be set"]),
    (["StepLR", "5", "--steps", "3"], ["unexpected '5'"]),
    (["CosineAnnealingLR", "--T_max", "--steps", "5"], ["--T_max needs a value"]),
    (["cosine", "--steps", "20000000"], ["argument --steps", "10,000,000"]),
    (["cosine_anneal", "--steps", "3"], ["unknown scheduler 'cosine_anneal'", "CosineAnnealingLR",
                                         "warmup_stable_decay"]),
    (["LambdaLR", "--steps", "4"], ["LambdaLR cannot be previewed from the command line", "Python function"]),
    (["ReduceLROnPlateau", "--steps", "4"], ["depend on the metrics"]),
    (["reduce_lr_on_plateau", "--steps", "4"], ["depend on the metrics"]),
    (["SequentialLR", "--schedulers", "[LambdaLR(lr_lambda=1)]", "--milestones", "[]", "--steps", "4"],
     ["'LambdaLR(lr_lambda=1)' is not a call of a scheduler class", "CosineAnnealingLR"]),
    (["SequentialLR", "--schedulers", "[StepLR(step_size=2, gama=0.5)]", "--milestones", "[]", "--steps", "4"],
     ["StepLR has no argument --gama", "--gamma=0.1"]),
    ([], ["NAME is required"]),
])
def test_bad_arguments_exit_2_naming_them(capsys, argv, expected):
    status, out, err = run_lr(capsys, *argv)
    assert status == 2 and out == ""
    assert "genesis lr: error:" in err and "Traceback" not in err
    for text in expected:
        assert text in err


def test_subprocess_exit_status_and_clean_error():
    command = [sys.executable, "-m", "genesis", "lr"]
    bad = subprocess.run(command + ["CosineAnnealingLR", "--steps", "10", "--T_maxx", "5"],
                         capture_output=True, text=True, cwd=REPO, timeout=60)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "--T_maxx" in bad.stderr and "--T_max (required)" in bad.stderr
    assert "Traceback" not in bad.stderr
    good = subprocess.run(command + ["CosineAnnealingLR", "--T_max", "10", "--steps", "11"],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert good.returncode == 0, good.stderr
    assert key_rates(good.stdout)["end"] == (10, 0.0)  # eta_min at T_max


# --- help, list, spellings -----------------------------------------------------------------------------


def help_examples():
    text = lr_cli._EXAMPLES
    commands = re.findall(r"^  (genesis lr .*(?:\n      .*)*)", text, flags=re.M)
    return [shlex.split(command.replace("\n", " "))[2:] for command in commands]


@pytest.mark.parametrize("argv", help_examples())
def test_every_help_example_runs(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_lr(capsys, *argv)
    assert (status, err) == (0, "")
    for option in ("--csv", "--png"):
        if option in argv:
            assert (tmp_path / argv[argv.index(option) + 1]).stat().st_size > 0


def test_help_and_list_name_every_scheduler_and_hf_name(capsys):
    from genesis.optim.hf import SCHEDULER_NAMES

    status, help_text, _ = run_lr(capsys, "--help")
    assert status == 0
    assert "genesis lr cosine --warmup 500 --steps 10000" in help_text
    status, listing, _ = run_lr(capsys, "--list")
    assert status == 0
    for name in [*PYTORCH_SCHEDULERS, *SCHEDULER_NAMES]:
        assert name in help_text and f"  {name}: " in listing
    assert "  CosineAnnealingLR: --T_max (required), --eta_min=0.0" in listing
    # --help after NAME still shows the help
    assert run_lr(capsys, "cosine", "--help")[1] == help_text


def test_spellings_options_before_name_and_key_equals_value(capsys):
    reference = run_lr(capsys, "cosine", "--warmup", 5, "--steps", 50)[1]
    assert run_lr(capsys, "--steps", 50, "--warmup", 5, "Cosine")[1] == reference
    assert run_lr(capsys, "get_cosine_schedule_with_warmup", "--num_warmup_steps=5", "--steps=50")[1] == reference
    status, _, err = run_lr(capsys, "cosine", "--warmup", 5, "--num_warmup_steps", 6, "--steps", 50)
    assert status == 2 and "disagree" in err


def test_warm_restarts_and_exp_range_cyclic_hand_values(capsys):
    status, out, _ = run_lr(capsys, "CosineAnnealingWarmRestarts", "--T_0", 10, "--T_mult", 2, "--steps", 31)
    assert status == 0
    rows = key_rates(out)
    assert rows["max"] == (0, 0.1)
    assert rows["end"] == (30, pytest.approx(0.1))  # restarts at 10 and 10 + 20 = 30 (hand)
    status, out, _ = run_lr(capsys, "CyclicLR", "--base_lr", 0.01, "--max_lr", 0.1, "--step_size_up", 5,
                            "--mode", "exp_range", "--gamma", 0.9, "--steps", 20)
    assert status == 0
    rows = key_rates(out)
    assert rows["max"] == (5, pytest.approx(0.01 + 0.09 * 0.9**5))  # exp_range scales by gamma**step


# --- sparkline -----------------------------------------------------------------------------------------


def test_sparkline_doctests():
    assert doctest.testmod(sparkline_module).failed == 0


def test_sparkline_levels_downsampling_and_edges():
    assert sparkline([3, 3, 3]) == "███"  # constant: full height
    assert sparkline([0.0, np.nan, 1.0]) == "▁ █"
    assert sparkline(np.r_[np.zeros(50), np.ones(50)], width=2) == "▁█"
    # 100 values into 60 bins: array_split gives 40 bins of 2 then 20 of 1
    line = sparkline(np.arange(100.0))
    assert len(line) == 60 and line[0] == BLOCKS[0] and line[-1] == BLOCKS[-1]
    assert list(line) == sorted(line)
    with pytest.raises(ValueError, match="width must be a positive int, got 0"):
        sparkline([1, 2], width=0)
    with pytest.raises(ValueError, match="non-empty 1-d"):
        sparkline([])


def test_two_groups_table_has_a_column_each_and_min_max_per_group(capsys):
    status, out, _ = run_lr(capsys, "StepLR", "--step_size", 4, "--gamma", 0.5, "--lr", "0.1,0.01",
                            "--steps", 10)
    assert status == 0
    expected = torch_rates(lambda o: torch.optim.lr_scheduler.StepLR(o, 4, 0.5), 10, (0.1, 0.01))
    lines = out.splitlines()
    assert "  optimizer: SGD, 2 param groups, lr=0.1,0.01" in lines
    table = {line[2:18].strip(): line[18:].split() for line in lines if line.startswith("  ") and
             line[2:18].strip() in ("start", "middle", "end", "min (group 1)", "max (group 0)")}
    for label, step in (("start", 0), ("middle", 5), ("end", 9)):
        assert int(table[label][0]) == step
        assert [float(x) for x in table[label][1:]] == pytest.approx(expected[step].tolist(), rel=1e-6)
    assert table["min (group 1)"] == ["8", "0.0025"]  # 0.01 * 0.5**2 from step 8 (hand)
    assert table["max (group 0)"] == ["0", "0.1"]
    assert sum(line.startswith("  group ") for line in lines) == 2  # a sparkline per group
