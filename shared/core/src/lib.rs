//! Domain types, rules and ports of m365-bridge. No I/O lives here: adapters implement the ports
//! in other crates, so everything in this crate is testable with plain values.

pub mod clock;
pub mod ids;
pub mod rfc3339;
pub mod tenant;

pub use clock::{Clock, ManualClock, SystemClock};
pub use ids::{IdGen, RandomIds, SequentialIds};
