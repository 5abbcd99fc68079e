"""Front ends for InvokeAI."""
