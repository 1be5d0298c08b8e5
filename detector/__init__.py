"""alpsim.detector: parametrized detector response, analysis variables and output writers."""
