"""The tools a model can call: specs by model family, the router, and the handlers."""
