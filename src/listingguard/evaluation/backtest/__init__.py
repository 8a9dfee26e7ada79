"""Backtests with humans in the loop: replay a candidate bundle on a past window and compare it with what served."""
