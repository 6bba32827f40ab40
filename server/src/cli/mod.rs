//! Client-side subcommands of the `herald` binary.

pub mod send;
