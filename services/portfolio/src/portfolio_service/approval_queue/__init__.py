"""The approval queue: the PPAs waiting for a decision, with what approving them does to the
budget ceilings."""
