//! The command line's own operations besides `serve` and `migrate`.

pub mod catalog;
