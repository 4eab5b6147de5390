//! Identifiers: newtypes, never bare integers, so a Region cannot be passed where a store is meant.

use std::fmt;

macro_rules! index_id {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($inner);

        impl $name {
            pub fn new(index: usize) -> Self {
                $name(<$inner>::try_from(index).expect(concat!(stringify!($name), " index out of range")))
            }
            pub const fn from_raw(raw: $inner) -> Self {
                $name(raw)
            }
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}#{}", stringify!($name), self.0)
            }
        }
    };
}

index_id!(
    /// A Region of the run, in declaration order.
    RegionId(u16)
);
index_id!(
    /// A client population, in declaration order.
    PopulationId(u16)
);
index_id!(
    /// A data store (a DynamoDB global table, ...), in declaration order.
    StoreId(u16)
);

/// An item key within a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(pub u64);

/// One write (a version of an item), unique across the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteId(pub u64);

/// One client request, unique across the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);
