"""Offline evaluation of the program: plan, cost and policy checks with no cloud access."""
