"""listingguard: content moderation for second-hand marketplaces.

Listings are normalised, checked by rules and by one ML detector per policy topic; a policy turns scores
into actions; moderators review what the system suspects and their decisions become training labels.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("listingguard")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
