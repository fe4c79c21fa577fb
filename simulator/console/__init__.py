"""`pos-sim console`: the simulated host with a face, as a Textual app."""
