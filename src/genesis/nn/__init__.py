"""Neural-network modules, layers, losses and functional forms (``genesis.nn``)."""
from . import functional, init, modules, parallel, utils
from .modules import (
    GELU, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Embedding, Flatten, Identity, L1Loss,
    LayerNorm, Linear, LogSoftmax, Module, ModuleDict, ModuleList, MSELoss, NLLLoss, ReLU,
    Sequential, Sigmoid, SiLU, Softmax, Tanh,
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
]
