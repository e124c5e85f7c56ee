//! The console. (Being written: see keymap.rs for the contract config relies on.)
pub mod keymap;
