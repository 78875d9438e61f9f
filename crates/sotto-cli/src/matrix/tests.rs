//! Unit tests of the renderers (arrive with the disclose branch).
