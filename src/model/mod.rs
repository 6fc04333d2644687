//! Domain types shared by every door and every flow: employer (SIREN/SIRET), employee (NIR),
//! bank details, the canonical stoppage message and its validation. No I/O here.

pub mod iban;
pub mod nir;
pub mod siret;
pub mod stoppage;
pub mod validate;

pub use nir::Nir;
pub use siret::{Siren, Siret};
pub use stoppage::{EventKind, Motif, Stoppage};
