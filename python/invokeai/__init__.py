"""InvokeAI: a creative engine for generating and editing images."""
