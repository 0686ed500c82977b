"""Deployment: every trained PyTorch model converted to LiteRT (float32 and full-integer int8) with
litert-torch, evaluated with the same code as Experiment 1, and every model of the run timed
interleaved in one job.

- ``convert``: rebuild a trained model from its files, convert it, check it against PyTorch.
- ``machine``: what the timing ran on (CPU model, ISA flags, load average).
- ``timing``: the one timing job (LiteRT at batch 1, eager PyTorch at batch 1 and batch N), adaptive rounds.
- ``roofs``, ``roofline``, ``graph``: the roof models, the CPU's roofs and every latency on them, a graph's
  MACs and bytes.
"""
