"""Neural-network modules, layers, losses and functional forms (``genesis.nn``)."""
from . import functional, init, modules, parallel, utils
from .modules import (
    GELU, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Embedding, Flatten, Identity, L1Loss,
    LayerNorm, Linear, LogSoftmax, Module, ModuleDict, ModuleList, MSELoss, NLLLoss, ReLU,
    Sequential, Sigmoid, SiLU, Softmax, Tanh,
)
from .modules import (  # images: convolution, pooling, padding, resampling, normalisation
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
    AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNorm3d, CircularPad1d, CircularPad2d,
    CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d, Conv1d, Conv2d, ConvTranspose1d,
    ConvTranspose2d, Dropout1d, Dropout2d, GroupNorm, InstanceNorm1d, InstanceNorm2d,
    InstanceNorm3d, MaxPool1d, MaxPool2d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d,
    ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, Upsample, UpsamplingBilinear2d,
    UpsamplingNearest2d, ZeroPad1d, ZeroPad2d, ZeroPad3d,
)
from .modules import (
    GRU, LSTM, RNN, GRUCell, LSTMCell, MultiheadAttention, RNNBase, RNNCell, RNNCellBase,
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
from .parameter import Parameter

__all__ = [
    "functional", "init", "modules", "parallel", "utils", "Module", "Parameter", "Sequential",
    "ModuleList", "ModuleDict", "Linear", "Identity", "ReLU", "GELU", "SiLU", "Tanh", "Sigmoid", "Softmax",
    "LogSoftmax", "Dropout", "LayerNorm", "Embedding", "Flatten",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCEWithLogitsLoss",
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder",
    "TransformerEncoderLayer", "TransformerDecoderLayer",
] + modules.__all__[modules.__all__.index("Conv1d"):]
