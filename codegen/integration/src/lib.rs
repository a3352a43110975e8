//! Unpublished: the home of tests that use the four DAM SDK crates together (`tests/`). It has no
//! code of its own.

#![forbid(unsafe_code)]
