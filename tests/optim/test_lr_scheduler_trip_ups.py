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
