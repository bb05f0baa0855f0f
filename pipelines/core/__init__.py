"""Shared machinery of every stage: params, config, store, runner, engine, errors, resources,
fonts. Nothing here imports a stage."""
