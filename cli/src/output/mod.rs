//! Reports: for people ([`human`]) and for machines ([`json`]).

pub mod human;
pub mod json;
pub mod text;
