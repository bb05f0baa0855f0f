"""wenmai pipelines: the stages and the shared pieces (config, store, runner, engine)."""

__version__ = "0.1.0"
