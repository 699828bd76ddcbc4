//! bridge-local
