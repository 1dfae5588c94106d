"""Rules: scb (see /work/rutin-notes/rules-spec.md)."""

from __future__ import annotations
