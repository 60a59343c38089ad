"""Reading event files back with TensorBoard's own reader, for every test of the writers."""
import pytest
from tensorboard.backend.event_processing import event_accumulator, event_multiplexer

# 0 keeps every event (TensorBoard's default keeps a random sample of long series)
EVERYTHING = {kind: 0 for kind in event_accumulator.DEFAULT_SIZE_GUIDANCE}


def load(path):
    """An EventAccumulator over the event files directly in ``path``, loaded."""
    accumulator = event_accumulator.EventAccumulator(str(path), size_guidance=EVERYTHING)
    accumulator.Reload()
    return accumulator


def load_runs(path):
    """{run name: EventAccumulator} for ``path`` and every folder below it that holds events."""
    multiplexer = event_multiplexer.EventMultiplexer(size_guidance=EVERYTHING)
    multiplexer.AddRunsFromDirectory(str(path))
    multiplexer.Reload()
    return {run: multiplexer.GetAccumulator(run) for run in multiplexer.Runs()}


def scalars(accumulator):
    """{tag: [(step, value), ...]} of every scalar series, in the order written."""
    return {tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
            for tag in accumulator.Tags()["scalars"]}


@pytest.fixture
def tb():
    """The readers above, as one object: ``tb.load(path)``, ``tb.load_runs``, ``tb.scalars``."""
    class Readers:
        pass

    readers = Readers()
    readers.load, readers.load_runs, readers.scalars = load, load_runs, scalars
    return readers
