//! Safety numbers: derived from both account keys (protocol.md 8.2).
