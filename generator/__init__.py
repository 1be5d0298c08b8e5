"""alpsim.generator: truth-level generation (beams, ALP model, channels, decays, vertices)."""
