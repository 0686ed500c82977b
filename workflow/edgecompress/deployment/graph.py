"""What a ``.tflite`` graph holds, read from its flatbuffer with LiteRT's schema: tensor sizes, which
tensors are constants (weights), the op schedule, and the multiply-accumulates of its convolutions
and fully connected layers. The memory job (peak live tensors) and the roofline (bytes moved and
MACs per inference) read files through this one reader.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Graph:
    sizes: dict[int, int]  # tensor index -> bytes
    shapes: dict[int, tuple[int, ...]]
    constant: frozenset[int]  # tensors with a data buffer: weights, biases, quantization tables
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    ops: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]  # (builtin op name, inputs, outputs)

    @property
    def weight_bytes(self) -> int:
        """Bytes of the constant tensors: what every inference reads once."""
        return sum(self.sizes[t] for t in self.constant)

    @property
    def activation_bytes(self) -> int:
        """Bytes of every non-constant tensor the ops write, and of the graph's inputs: each written once."""
        written = {t for _, _, outs in self.ops for t in outs} | set(self.inputs)
        return sum(self.sizes[t] for t in written if t >= 0 and t not in self.constant)

    @property
    def macs_by_kind(self) -> dict[str, int]:
        """Multiply-accumulates of one inference: ``dense`` (CONV_2D, FULLY_CONNECTED) and ``depthwise``.

        A convolution's output elements times the filter's taps per output (height x width x input
        channels; one input channel per output for a depthwise one); a fully connected layer's
        output elements times its input features. Adds, pooling and activations are not MACs.
        """
        total = {"dense": 0, "depthwise": 0}
        for name, ins, outs in self.ops:
            if name not in MAC_OPS or len(ins) < 2:
                continue
            out, weights = self.shapes[outs[0]], self.shapes[ins[1]]
            per_output = {
                "CONV_2D": int(np.prod(weights[1:])),
                "DEPTHWISE_CONV_2D": int(np.prod(weights[1:3])),
                "FULLY_CONNECTED": int(weights[-1]),
            }[name]
            total["depthwise" if name == "DEPTHWISE_CONV_2D" else "dense"] += int(np.prod(out)) * per_output
        return total

    @property
    def macs(self) -> int:
        return sum(self.macs_by_kind.values())


MAC_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def tensor_bytes(shape: Sequence[int], itemsize: int) -> int:
    return int(np.prod([max(int(d), 1) for d in shape])) * itemsize if len(shape) else itemsize


def read_graph(path: str | os.PathLike) -> Graph:
    """The first subgraph of a ``.tflite`` file; a file that is not one raises ValueError naming it."""
    from ai_edge_litert import schema_py_generated as schema

    with open(path, "rb") as fh:
        data = bytearray(fh.read())
    try:
        model = schema.ModelT.InitFromPackedBuf(data, 0)
        graph = model.subgraphs[0]
    except Exception as exc:  # the flatbuffer reader raises whatever a corrupt buffer provokes
        raise ValueError(f"{path}: not a readable .tflite file ({type(exc).__name__}: {exc})") from exc
    itemsize = {
        getattr(schema.TensorType, name.upper()): np.dtype(name).itemsize
        for name in ("float32", "int8", "uint8", "int32", "int64", "int16", "float16", "bool")
    }
    op_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    sizes, shapes, constant = {}, {}, set()
    for i, t in enumerate(graph.tensors):
        shapes[i] = tuple(int(d) for d in t.shape) if t.shape is not None else ()
        sizes[i] = tensor_bytes(shapes[i], itemsize.get(t.type, 4))
        buffer = model.buffers[t.buffer] if t.buffer < len(model.buffers) else None
        if buffer is not None and ((buffer.data is not None and len(buffer.data)) or buffer.size):
            constant.add(i)
    ops = []
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        name = op_names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "CUSTOM")
        ops.append(
            (
                name,
                tuple(int(x) for x in (op.inputs if op.inputs is not None else [])),
                tuple(int(x) for x in (op.outputs if op.outputs is not None else [])),
            )
        )
    return Graph(
        sizes,
        shapes,
        frozenset(constant),
        tuple(int(x) for x in graph.inputs),
        tuple(int(x) for x in graph.outputs),
        tuple(ops),
    )
