//! Rules per aggregate. Resolvers call these; these call entities and storage.

pub mod credentials;
pub mod values;
