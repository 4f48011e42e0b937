"""The scripted model server and pytest fixtures: a real model stand-in on 127.0.0.1.

`scenario` builds turns, `server.ScriptedModelServer` serves them over HTTP/1.1 (Responses
and Chat SSE), `scenario_json` loads them from files, `demo` is the `pycodex demo` script.
"""
