"""One handler per tool."""
