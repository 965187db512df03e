//! The flow and the MFA-bypass classes (issue 12) with the gateway in front of the real
//! php legacy app in `tests/legacy/php/`; the cases live in `suites/zoo_cases.rs`.

mod common;

use common::legacy::Stack;

/// The stack every case of this binary runs against.
const STACK: Stack = Stack::Php;

#[path = "suites/zoo_cases.rs"]
mod cases;
