"""Values to TensorBoard ``Summary`` protos, built from the proto classes the tensorboard package ships.

Each function checks its input at the boundary and returns a ``Summary`` (or, for images, the
``Summary.Image`` inside one); :mod:`genesis.utils.tensorboard.writer` wraps them in events.
The numbers are PyTorch's: the same histogram buckets (TensorFlow's default bins, the same
trimming of empty buckets), the same image scaling and the same hparams plugin records, so a
script logs the same data through either writer.  Nothing here encodes protobuf or the event
file format by hand.
"""
from __future__ import annotations

import io
import numbers
import sys
from typing import Any

import numpy as np

from genesis.tensor_base import TensorBase
from genesis.utils.extras import install_hint


def tensorboard_missing(error: ModuleNotFoundError) -> ModuleNotFoundError:
    """The error to raise for ``error``, an import of tensorboard that failed: PyTorch's words
    (its ``torch.utils.tensorboard`` fails the same way, at import) and the install command."""
    if (error.name or "").split(".")[0] != "tensorboard":
        return error  # something tensorboard needs is missing: that error says what
    return ModuleNotFoundError(
        f"No module named 'tensorboard': TensorBoard logging needs the tensorboard package: "
        f"{install_hint('tensorboard')}", name="tensorboard")


try:
    from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
except ModuleNotFoundError as error:
    raise tensorboard_missing(error) from None

__all__ = ["tensorboard_missing", "scalar", "histogram", "text", "hparams", "image", "figure_to_image", "to_numpy",
           "to_float", "TENSORFLOW_BINS"]


def _tensorflow_bins() -> np.ndarray:
    # TensorFlow's default histogram buckets, built by repeated multiplication exactly as
    # PyTorch's writer does, so that both writers' bucket limits are the same floats.
    value, buckets = 1e-12, []
    while value < 1e20:
        buckets.append(value)
        value *= 1.1
    return np.array([-b for b in reversed(buckets)] + [0.0] + buckets)


TENSORFLOW_BINS = _tensorflow_bins()


def check_tag(tag: Any, argument: str = "tag") -> str:
    """``tag`` when it is a str; a TypeError naming ``argument`` otherwise."""
    if not isinstance(tag, str):
        raise TypeError(f"{argument} must be a str, got {tag!r}")
    return tag


def to_float(value: Any, argument: str = "scalar_value") -> float:
    """A number, a NumPy scalar or a one-element tensor or array as a Python float.

    Example:
        >>> import genesis
        >>> to_float(3), to_float(genesis.tensor([[0.25]])), to_float(np.float32(0.5))
        (3.0, 0.25, 0.5)
    """
    kind = type(value)
    if kind is float:
        return value
    if kind is int or isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.generic):  # np.bool_ and the other scalars that are not Real
        value = np.asarray(value)
    if isinstance(value, (np.ndarray, TensorBase)):
        shape = tuple(value.shape)
        if int(np.prod(shape)) != 1:
            # PyTorch's words (its AssertionError is a ValueError here, as for every bad argument)
            raise ValueError(
                f"Tensor should contain one element (0 dimensions). Was given size: "
                f"{int(np.prod(shape))} and {sum(1 for n in shape if n != 1)} dimensions "
                f"({argument} of shape {shape}).")
        if isinstance(value, TensorBase):
            return float(value)
        if value.dtype.kind in "biuf":
            return float(value.reshape(-1)[0])
    elif isinstance(value, str):
        # PyTorch fails with float()'s words; the advice is ours
        raise ValueError(f"could not convert string to float: {value!r} ({argument} must be a "
                         f"number or a one-element tensor)")
    raise TypeError(f"{argument} must be a real number or a one-element tensor, got {value!r}")


def to_numpy(value: Any, argument: str = "values") -> np.ndarray:
    """A Genesis tensor, a NumPy array or a number as a NumPy array (PyTorch's ``make_np``).

    Example:
        >>> import genesis
        >>> to_numpy(genesis.ones(2, requires_grad=True)), to_numpy(1.5)
        (array([1., 1.], dtype=float32), array([1.5]))
    """
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, TensorBase):
        return value.detach().numpy()
    if np.isscalar(value) and not isinstance(value, (str, bytes)):
        return np.array([value])
    # PyTorch's words; its own tensors stand where ours are named
    raise NotImplementedError(f"Got {type(value)}, but numpy array or genesis tensor are "
                              f"expected ({argument}).")


def scalar(tag: str, value: Any, new_style: bool = False,
           double_precision: bool = False) -> Summary:
    """A ``Summary`` holding one scalar: a ``simple_value`` (a float32), or with ``new_style``
    a tensor read by the scalars plugin (float64 with ``double_precision``)."""
    check_tag(tag)
    value = to_float(value)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=value)])
    if double_precision:
        proto = TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[value], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=proto, metadata=metadata)])


def histogram(tag: str, values: Any, bins: Any, max_bins: int | None = None) -> Summary:
    """A ``Summary`` with the histogram of ``values`` (any shape) over ``bins``
    (``numpy.histogram``'s argument: a count, an edge array or a rule such as ``"auto"``).

    Like PyTorch, only the buckets from the first to the last non-empty one are kept (with an
    empty one on the left, since TensorBoard reads only right edges), and ``max_bins`` merges
    neighbouring buckets.  Unlike PyTorch, which writes NaN into the record, values that are
    NaN or infinite are a ValueError, as in TensorFlow's own histogram summary.
    """
    check_tag(tag)
    array = to_numpy(values).astype(float).reshape(-1)
    if array.size == 0:
        raise ValueError("The input has no element.")
    finite = np.isfinite(array)
    if not finite.all():
        raise ValueError(f"add_histogram({tag!r}): {int(array.size - finite.sum())} of the "
                         f"{array.size} values are NaN or infinite; a histogram needs finite "
                         f"values")
    if max_bins is not None and (isinstance(max_bins, bool) or not isinstance(max_bins, numbers.Integral)
                                 or max_bins < 1):
        raise ValueError(f"max_bins must be a positive int or None, got {max_bins!r}")
    counts, limits = np.histogram(array, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        counts, limits = _merge_buckets(counts, limits, len(counts) // max_bins)
    nonempty = np.cumsum(counts > 0)
    start, end = (int(i) for i in np.searchsorted(nonempty, [0, nonempty[-1] - 1], side="right"))
    end += 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    proto = HistogramProto(min=array.min(), max=array.max(), num=len(array), sum=array.sum(),
                           sum_squares=array.dot(array), bucket_limit=limits.tolist(),
                           bucket=counts.tolist())
    return Summary(value=[Summary.Value(tag=tag, histo=proto)])


def _merge_buckets(counts: np.ndarray, limits: np.ndarray, group: int) -> tuple:
    """Sum every ``group`` neighbouring buckets (the last group padded with empty ones)."""
    remainder = len(counts) % group
    if remainder:
        counts = np.pad(counts, [[0, group - remainder]])
    counts = counts.reshape(-1, group).sum(axis=-1)
    merged = np.empty(counts.size + 1, limits.dtype)
    merged[:-1] = limits[:-1:group]
    merged[-1] = limits[-1]
    return counts, merged


def text(tag: str, text_string: Any) -> Summary:
    """A ``Summary`` for the text plugin; TensorBoard shows it under ``<tag>/text_summary``."""
    check_tag(tag)
    if not isinstance(text_string, str):
        raise TypeError(f"text_string must be a str, got {text_string!r}")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()))
    proto = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf_8")],
                        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=metadata,
                                        tensor=proto)])


def hparams(hparam_dict: dict, metric_dict: dict,
            hparam_domain_discrete: dict | None = None) -> tuple[Summary, Summary, Summary]:
    """The hparams plugin's three records: the experiment (names of the hyperparameters and
    metrics), the session start (their values) and the session end, as PyTorch writes them."""
    from google.protobuf import struct_pb2
    from tensorboard.plugins.hparams.api_pb2 import (DataType, Experiment, HParamInfo,
                                                     MetricInfo, MetricName, Status)
    from tensorboard.plugins.hparams.metadata import (EXPERIMENT_TAG, PLUGIN_DATA_VERSION,
                                                      PLUGIN_NAME, SESSION_END_INFO_TAG,
                                                      SESSION_START_INFO_TAG)
    from tensorboard.plugins.hparams.plugin_data_pb2 import (HParamsPluginData, SessionEndInfo,
                                                             SessionStartInfo)

    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for key, domain in domains.items():
        if (key not in hparam_dict or not isinstance(domain, list)
                or not all(isinstance(d, type(hparam_dict[key])) for d in domain)):
            raise TypeError(f"parameter: hparam_domain_discrete[{key}] should be a list of same "
                            f"type as hparam_dict[{key}].")
    start, infos = SessionStartInfo(), []
    for key, value in hparam_dict.items():
        if value is None:
            continue
        if isinstance(value, TensorBase):
            value = to_float(value, f"hparam_dict[{key!r}]")
        # a bool is a number, as PyTorch checks them: True is logged as 1.0
        if isinstance(value, numbers.Real):
            start.hparams[key].number_value = float(value)
            field, kind = "number_value", "DATA_TYPE_FLOAT64"
        elif isinstance(value, str):
            start.hparams[key].string_value = value
            field, kind = "string_value", "DATA_TYPE_STRING"
        else:
            raise ValueError(f"value should be one of int, float, str, bool, or genesis.Tensor; "
                             f"hparam_dict[{key!r}] is {value!r}")
        discrete = None
        if key in domains:
            discrete = struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d})
                                                    for d in domains[key]])
        infos.append(HParamInfo(name=key, type=DataType.Value(kind), domain_discrete=discrete))

    def record(tag: str, **content: Any) -> Summary:
        data = HParamsPluginData(version=PLUGIN_DATA_VERSION, **content).SerializeToString()
        metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME, content=data))
        return Summary(value=[Summary.Value(tag=tag, metadata=metadata)])

    experiment = Experiment(hparam_infos=infos,
                            metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    return (record(EXPERIMENT_TAG, experiment=experiment),
            record(SESSION_START_INFO_TAG, session_start_info=start),
            record(SESSION_END_INFO_TAG,
                   session_end_info=SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))))


# ---------------------------------------------------------------- images


def image(tag: str, img: Any, dataformats: str = "CHW") -> Summary:
    """A ``Summary`` with ``img`` as a PNG.  Floats are read as [0, 1], uint8 as [0, 255] (out of
    range values are clipped); ``dataformats`` names the axes (``CHW``, ``HWC``, ``HW``, or with
    ``N`` a batch laid out as a grid of up to 8 columns).  One channel is grey, 3 RGB, 4 RGBA."""
    from PIL import Image  # pillow: a dependency of tensorboard

    check_tag(tag)
    array = _to_hwc(to_numpy(img, "img_tensor"), dataformats)
    if array.shape[2] not in (3, 4):
        raise ValueError(f"an image needs 1, 3 or 4 channels, got {array.shape[2]} "
                         f"(img_tensor of shape {to_numpy(img, 'img_tensor').shape}, "
                         f"dataformats {dataformats!r})")
    scale = 1 if array.dtype == np.uint8 else 255
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError(f"add_image({tag!r}): the image has NaN or infinite values")
    array = (array * scale).clip(0, 255).astype(np.uint8)
    height, width, channels = array.shape
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    encoded = Summary.Image(height=height, width=width, colorspace=channels,
                            encoded_image_string=buffer.getvalue())
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


def _to_hwc(array: np.ndarray, dataformats: str) -> np.ndarray:
    """``array`` with axes named by ``dataformats`` as height x width x channels (PyTorch's
    ``convert_to_HWC``: grey images get 3 channels, a batch becomes a grid)."""
    if not isinstance(dataformats, str):
        raise TypeError(f"dataformats must be a str such as 'CHW', got {dataformats!r}")
    if len(set(dataformats)) != len(dataformats):
        raise ValueError(f"You can not use the same dimension shorthand twice. "
                             f"input_format: {dataformats}")
    if array.ndim != len(dataformats):
        raise ValueError(f"size of input tensor and input format are different. tensor "
                             f"shape: {array.shape}, input_format: {dataformats}")
    upper = dataformats.upper()
    axes = {4: "NCHW", 3: "HWC", 2: "HW"}.get(len(upper))
    if axes is None or set(upper) != set(axes):
        raise ValueError(f"dataformats must name the axes with N, C, H and W (such as 'CHW', "
                         f"'HWC', 'HW', 'NCHW'), got {dataformats!r}")
    array = array.transpose([upper.find(c) for c in axes])
    if axes == "NCHW":
        return _grid(array).transpose(1, 2, 0)
    if axes == "HW":
        return np.stack([array] * 3, 2)
    return np.concatenate([array] * 3, 2) if array.shape[2] == 1 else array


def _grid(batch: np.ndarray, columns: int = 8) -> np.ndarray:
    """A batch N x C x H x W (C 1 or 3) laid out as one 3 x rows*H x columns*W image."""
    if batch.shape[1] == 1:
        batch = np.concatenate([batch] * 3, 1)
    if batch.shape[1] != 3:
        raise ValueError(f"a batch of images needs 1 or 3 channels, got {batch.shape[1]}")
    count, _, height, width = batch.shape
    columns = min(count, columns)
    rows = -(-count // columns)
    canvas = np.zeros((3, height * rows, width * columns), dtype=batch.dtype)
    for i in range(count):
        y, x = divmod(i, columns)
        canvas[:, y * height:(y + 1) * height, x * width:(x + 1) * width] = batch[i]
    return canvas


def figure_to_image(figures: Any, close: bool = True) -> np.ndarray:
    """Render a matplotlib figure (or a list of them) to a uint8 C x H x W array (N x C x H x W
    for a list), drawn with the Agg canvas; ``close`` closes pyplot's window of each figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def render(figure: Any) -> np.ndarray:
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        width, height = canvas.get_width_height()
        rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(height, width, 4)
        # pyplot manages only figures it made, and then it is already imported: no import here
        pyplot = sys.modules.get("matplotlib.pyplot")
        if close and pyplot is not None:
            pyplot.close(figure)
        return np.moveaxis(rgba[:, :, :3], 2, 0)

    if isinstance(figures, list):
        return np.stack([render(figure) for figure in figures])
    return render(figures)
