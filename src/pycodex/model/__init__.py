"""The model wire layer: providers, one streaming request per turn, Responses and Chat decoding.

`client.ModelClient.stream(prompt)` yields `events.ResponseEvent`s and raises `errors.ModelError`s;
`responses` and `chat`/`chat_request` are the two wire formats; `failures`, `retry` and
`ratelimits` are pure helpers. Modules import their heavy dependencies on first use.
"""
