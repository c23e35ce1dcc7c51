"""The needs prioritisation board: each need's priority score, explained, and the manual
rank managers give a need above the score's order."""
