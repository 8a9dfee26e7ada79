"""``python -m listingguard.cli`` runs the command line."""

from listingguard.cli import main

main()
