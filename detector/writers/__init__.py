"""Output writers: Parquet (truth + reco + metadata) and HepMC3 (truth)."""
