"""What the model is told about its situation: instructions, environment, project docs, diffs."""
