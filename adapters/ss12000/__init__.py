"""SS 12000 (SS 12000:2020 with korr 1:2022, API 2.1): a read-only client adapter and a local server.

`models` holds our own pydantic models of the entities the client uses, `client` the HTTP side (bearer token,
TLS, paging, every failure as an AdapterError), `mirror` the incrementally synced copy the questions are
answered from, `adapter` the SystemAdapter the worker asks, and `server` a loopback server with synthetic
Komvux data for tests and training.
"""
