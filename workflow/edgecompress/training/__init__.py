"""The PyTorch side the pruning, distillation and deployment stages share: data batches, models
(building, loading, counting) and the one training loop."""
