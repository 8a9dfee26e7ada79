"""``python -m listingguard`` runs the command line."""

from listingguard.cli import main

main()
