pub mod cli;
pub mod interrupt;
pub mod output;
pub mod term;
