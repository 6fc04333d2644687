"""Schemathesis hooks for tests/api_contract.rs: the PDF upload body is sent as raw bytes
(SCHEMATHESIS_HOOKS=schemathesis_hooks, with tests/ on PYTHONPATH)."""

import schemathesis

schemathesis.serializer.alias("application/pdf", "application/octet-stream")
