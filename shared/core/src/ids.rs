//! Identifier generation as a port, so tests can predict ids.

use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

/// Source of new unique identifiers.
pub trait IdGen: Send + Sync + std::fmt::Debug {
    /// A new identifier, unique for the life of the system.
    fn new_id(&self) -> Uuid;
}

/// Time-ordered random ids (UUID v7): unique without coordination, and they sort by creation,
/// which keeps DynamoDB sort keys and S3 listings in creation order.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGen for RandomIds {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Ids `00000000-0000-0000-0000-000000000001`, `…02`, … for tests that assert on ids.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGen for SequentialIds {
    fn new_id(&self) -> Uuid {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Uuid::from_u128(u128::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_count_up_from_one() {
        let g = SequentialIds::default();
        assert_eq!(g.new_id(), Uuid::from_u128(1));
        assert_eq!(g.new_id(), Uuid::from_u128(2));
    }

    #[test]
    fn random_ids_are_distinct_and_time_ordered() {
        let a = RandomIds.new_id();
        let b = RandomIds.new_id();
        assert_ne!(a, b);
        assert_eq!(a.get_version_num(), 7);
    }
}
