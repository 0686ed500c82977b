"""Loading downloaded model weights without executing code from the file."""

from __future__ import annotations

import os


def load_state_dict(path: str | os.PathLike) -> dict:
    """A torchvision-format state_dict, loaded with ``weights_only=True``.

    Pickled code in the file is refused by PyTorch's restricted unpickler;
    anything that is not a mapping of names to tensors is refused here.
    """
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, ...
        raise ValueError(f"{path}: not a loadable weights file ({err})") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path}: expected a state_dict (a mapping of names to tensors)")
    return state
