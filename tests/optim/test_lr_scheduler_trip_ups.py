"""Where PyTorch's users trip, Genesis says what went wrong (found by fresh-eyes QA)."""
import warnings

import pytest

import genesis
import genesis.optim as optim


def sgd(lr=0.1):
    return optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=lr)


def stepped(scheduler, steps):
    optimizer = scheduler.optimizer
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
    return scheduler


def test_spec_polynomial_pattern_past_its_end_names_the_complex_factor():
    """The spec page's poly_decay is (1 - epoch/100) ** 0.9: a complex number after epoch 100."""

    def poly_decay(epoch, total_epochs=100, power=0.9):
        return (1 - epoch / total_epochs) ** power

    scheduler = stepped(optim.LambdaLR(sgd(), lr_lambda=lambda epoch: poly_decay(epoch)), 100)
    assert scheduler.get_last_lr() == [0.0]
    expected = (1 - 101 / 100) ** 0.9
    assert isinstance(expected, complex)  # Python's own arithmetic, the truth here
    with pytest.raises(ValueError) as error:
        stepped(scheduler, 1)
    assert str(error.value) == (f"lr_lambda <lambda> returned {expected!r} at epoch 101: the factor "
                                "must be a finite number >= 0")


@pytest.mark.parametrize("value", [None, "0.5", 1j])
@pytest.mark.parametrize("cls", [optim.LambdaLR, optim.MultiplicativeLR])
def test_a_lambda_returning_no_real_number_is_a_value_error(cls, value):
    scheduler = cls(sgd(), lr_lambda=lambda epoch: 1.0 if epoch == 0 else value)
    with pytest.raises(ValueError, match=rf"returned {value!r}".replace("(", r"\(").replace(")", r"\)")
                       + " at epoch 1: the factor must be a finite number >= 0"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scheduler.step()


def test_lr_finder_after_a_warmup_scheduler_says_to_pass_start_lr():
    """A warmup scheduler built first leaves the rate at 0, the finder's default start."""
    model = genesis.nn.Linear(2, 1)
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    optim.get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=10, num_training_steps=100)
    assert optimizer.param_groups[0]["lr"] == 0.0
    finder = optim.LRFinder(model, optimizer, genesis.nn.MSELoss())
    batches = [(genesis.ones(4, 2), genesis.zeros(4, 1))]
    with pytest.raises(ValueError) as error:
        finder.range_test(batches, progress=False)
    assert str(error.value) == (
        "start_lr (param_groups[0]['lr'], the default) must be a positive finite number, got 0.0; "
        "pass start_lr (e.g. start_lr=1e-7) to choose where the range starts")
    finder.range_test(batches, start_lr=1e-7, end_lr=1.0, num_iter=5, progress=False)
    assert finder.history["lr"][0] == 1e-7 and optimizer.param_groups[0]["lr"] == 0.0


def test_preview_past_the_end_of_the_spec_polynomial_is_one_clear_error():
    from genesis.optim.lr_scheduler import preview

    scheduler = optim.LambdaLR(sgd(), lr_lambda=lambda epoch: (1 - epoch / 100) ** 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning before the error
        with pytest.raises(ValueError, match=r"returned nan at epoch 101: the factor must be"):
            preview(scheduler, 200)
