"""The scripted model server and pytest fixtures: a real model stand-in on 127.0.0.1."""
